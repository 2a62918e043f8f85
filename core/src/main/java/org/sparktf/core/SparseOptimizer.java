package org.sparktf.core;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.AdaGrad;
import org.tensorflow.framework.optimizers.Ftrl;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * An optimizer that {@link ReplicatedTraining} applies sparsely to the tables of {@link
 * SparseLookup}s and densely (through the equivalent TensorFlow Java {@link Optimizer}, see {@link
 * #dense}) to every other variable. One sparse update equals one dense update on the same batch.
 *
 * <p>Only the optimizers with a sparse apply op in TensorFlow are offered: SGD ({@code ScatterSub}
 * of the scaled gradient), AdaGrad ({@code SparseApplyAdagradV2}) and FTRL ({@code
 * SparseApplyFtrlV2}). TensorFlow has no sparse apply op for Adam; its Python optimizer updates
 * Adam's moments densely even for sparse gradients, so Adam has no sparse form here.
 *
 * <p>The slot variables of a table (AdaGrad's accumulator, FTRL's two) live on the table's device
 * and carry the names the dense optimizer gives them ({@code <table>-accumulator}, ...), so a
 * checkpoint written by sparse training restores into dense training and back.
 */
public final class SparseOptimizer {
  private enum Kind {
    SGD,
    ADAGRAD,
    FTRL
  }

  private final Kind kind;
  private final float learningRate;
  private final float initialAccumulator;
  private final float learningRatePower;
  private final float l1;
  private final float l2;

  private SparseOptimizer(
      Kind kind,
      float learningRate,
      float initialAccumulator,
      float learningRatePower,
      float l1,
      float l2) {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException(
          "Invalid learning rate: " + learningRate + "; it must be > 0");
    }
    this.kind = kind;
    this.learningRate = learningRate;
    this.initialAccumulator = initialAccumulator;
    this.learningRatePower = learningRatePower;
    this.l1 = l1;
    this.l2 = l2;
  }

  /** Plain gradient descent. */
  public static SparseOptimizer sgd(float learningRate) {
    return new SparseOptimizer(Kind.SGD, learningRate, 0, 0, 0, 0);
  }

  /** AdaGrad, with each accumulator starting at {@code initialAccumulator} (> 0). */
  public static SparseOptimizer adaGrad(float learningRate, float initialAccumulator) {
    requirePositive("initial accumulator", initialAccumulator);
    return new SparseOptimizer(Kind.ADAGRAD, learningRate, initialAccumulator, 0, 0, 0);
  }

  /**
   * FTRL-Proximal, as TensorFlow's {@code Ftrl} optimizer (no L2 shrinkage).
   *
   * @param learningRatePower {@code <= 0}; -0.5 is the usual choice
   * @param initialAccumulator {@code > 0}
   * @param l1 L1 regularization strength, {@code >= 0}
   * @param l2 L2 regularization strength, {@code >= 0}
   */
  public static SparseOptimizer ftrl(
      float learningRate, float learningRatePower, float initialAccumulator, float l1, float l2) {
    requirePositive("initial accumulator", initialAccumulator);
    if (learningRatePower > 0 || l1 < 0 || l2 < 0) {
      throw new IllegalArgumentException(
          "Invalid FTRL settings: learning rate power "
              + learningRatePower
              + " (must be <= 0), l1 "
              + l1
              + ", l2 "
              + l2
              + " (must be >= 0)");
    }
    return new SparseOptimizer(
        Kind.FTRL, learningRate, initialAccumulator, learningRatePower, l1, l2);
  }

  /** The TensorFlow Java optimizer with the same settings, for the dense variables. */
  public Optimizer dense(Graph graph) {
    switch (kind) {
      case ADAGRAD:
        return new AdaGrad(graph, learningRate, initialAccumulator);
      case FTRL:
        return new Ftrl(graph, learningRate, learningRatePower, initialAccumulator, l1, l2, 0f);
      default:
        return new GradientDescent(graph, learningRate);
    }
  }

  /**
   * The update of {@code table}'s rows {@code ids} (unique) by {@code gradient} (one row per id),
   * built on {@code onTable} with the table's slot variables created there.
   */
  Op apply(Ops onTable, Variable<TFloat32> table, Operand<TInt64> ids, Operand<TFloat32> gradient) {
    return apply(onTable, table, ids, gradient, new HashMap<>());
  }

  /**
   * As {@link #apply(Ops, Variable, Operand, Operand)}, taking the table's slot variables from
   * {@code slots} (by name), where it puts those it creates: the updates of several training steps
   * in one graph ({@link ReplicatedTraining#asynchronous(NodeContext, Graph, SparseOptimizer, int,
   * ReplicatedTraining.StepModel)}) share one set of slots.
   */
  Op apply(
      Ops onTable,
      Variable<TFloat32> table,
      Operand<TInt64> ids,
      Operand<TFloat32> gradient,
      Map<String, Variable<TFloat32>> slots) {
    Ops tf = onTable;
    Operand<TFloat32> lr = tf.constant(learningRate);
    switch (kind) {
      case ADAGRAD:
        {
          Variable<TFloat32> accumulator =
              slot(tf, table, AdaGrad.ACCUMULATOR, initialAccumulator, slots);
          // SparseApplyAdagradV2 with epsilon 0: the dense optimizer's ApplyAdagrad has none.
          return tf.train.sparseApplyAdagrad(
              table, accumulator, lr, tf.constant(0f), gradient, ids);
        }
      case FTRL:
        {
          Variable<TFloat32> accumulator =
              slot(tf, table, Ftrl.ACCUMULATOR, initialAccumulator, slots);
          Variable<TFloat32> linear = slot(tf, table, Ftrl.LINEAR_ACCUMULATOR, 0f, slots);
          return tf.train.sparseApplyFtrl(
              table,
              accumulator,
              linear,
              gradient,
              ids,
              lr,
              tf.constant(l1),
              tf.constant(l2),
              tf.constant(0f),
              tf.constant(learningRatePower));
        }
      default:
        return tf.scatterSub(table, ids, tf.math.mul(gradient, lr));
    }
  }

  /**
   * The dense update of float32 {@code variable} by {@code gradient} (of its shape), the one the
   * TensorFlow Java optimizer of {@link #dense} makes, built on {@code onVariable}, with the slot
   * variables taken from or put into {@code slots} (by name, named as that optimizer names them).
   */
  Op applyDense(
      Ops onVariable,
      Output<TFloat32> variable,
      Operand<TFloat32> gradient,
      Map<String, Variable<TFloat32>> slots) {
    Ops tf = onVariable;
    Operand<TFloat32> lr = tf.constant(learningRate);
    switch (kind) {
      case ADAGRAD:
        return tf.train.applyAdagrad(
            variable,
            slot(tf, variable, AdaGrad.ACCUMULATOR, initialAccumulator, slots),
            lr,
            gradient);
      case FTRL:
        return tf.train.applyFtrl(
            variable,
            slot(tf, variable, Ftrl.ACCUMULATOR, initialAccumulator, slots),
            slot(tf, variable, Ftrl.LINEAR_ACCUMULATOR, 0f, slots),
            gradient,
            lr,
            tf.constant(l1),
            tf.constant(l2),
            tf.constant(0f),
            tf.constant(learningRatePower));
      default:
        return tf.train.applyGradientDescent(variable, lr, gradient);
    }
  }

  /**
   * The slot variable of the table's shape filled with {@code value}, named as the dense one: the
   * one in {@code slots}, or a new one put there.
   */
  private static Variable<TFloat32> slot(
      Ops onTable,
      Operand<TFloat32> table,
      String slot,
      float value,
      Map<String, Variable<TFloat32>> slots) {
    String name = Optimizer.createName(table.asOutput(), slot);
    Variable<TFloat32> existing = slots.get(name);
    if (existing != null) {
      return existing;
    }
    Shape shape = table.asOutput().shape();
    Variable<TFloat32> created =
        onTable
            .withName(name)
            .variable(onTable.fill(onTable.constant(shape.asArray()), onTable.constant(value)));
    slots.put(name, created);
    return created;
  }

  private static void requirePositive(String what, float value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException("Invalid " + what + ": " + value + "; it must be > 0");
    }
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT) + "(learning rate " + learningRate + ")";
  }
}
