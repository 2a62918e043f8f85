package org.sparktf.examples.cifar10;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Split;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * A worker's training graph with one tower per device, like TensorFlow's multi-GPU cifar10 trainer:
 * the fed batch of raw records is decoded and distorted on the host CPU, split evenly across the
 * towers, each tower computes the loss and its gradients of its share on its own device, and the
 * gradients are averaged on the CPU before a single update. The towers compute with one read of
 * each shared variable per step, taken on the host: with the variables on a parameter server,
 * towers reading them directly diverged where one tower trained normally.
 *
 * <p>TensorFlow Java's symbolic gradients come without device placement, so they would all land on
 * the first GPU. The graph is therefore built once, each tower's ops (gradients included) are
 * pinned to the tower's device in the GraphDef, and the result is imported into {@link #graph()}.
 */
final class TowerGraph implements AutoCloseable {
  static final String IMAGES = "images";
  static final String LABELS = "labels";
  static final String LOSS = "loss";
  private static final String AVERAGE = "tower_average";

  private final Graph graph;
  private final Operand<TString> images;
  private final Operand<TInt64> labels;
  private final Operand<TFloat32> loss;
  private final List<GradAndVar<?>> gradients = new ArrayList<>();

  private TowerGraph(Graph graph, List<String> variableNames) {
    this.graph = graph;
    this.images = output(graph, IMAGES);
    this.labels = output(graph, LABELS);
    this.loss = output(graph, LOSS);
    for (int i = 0; i < variableNames.size(); i++) {
      Output<TFloat32> gradient = output(graph, AVERAGE + "/" + i);
      Output<TFloat32> variable = output(graph, variableNames.get(i));
      gradients.add(new GradAndVar<>(gradient, variable));
    }
  }

  /**
   * Builds the graph.
   *
   * @param host where decoding, distortion, splitting and averaging run (the worker's CPU)
   * @param variableDevice where the n-th variable lives (the parameter servers, or the host)
   * @param towers one device per tower; a batch must hold a multiple of their number of rows
   * @param distort whether to apply the random training distortions (else the central crop)
   */
  static TowerGraph build(
      DeviceSpec host,
      IntFunction<DeviceSpec> variableDevice,
      List<DeviceSpec> towers,
      boolean distort,
      long seed) {
    if (towers.isEmpty()) {
      throw new IllegalArgumentException("Invalid tower count: 0; use at least one tower");
    }
    GraphDef pinned;
    List<String> variableNames = new ArrayList<>();
    try (Graph scratch = new Graph()) {
      Ops root = Ops.create(scratch);
      Ops onHost = root.withDevice(host);
      Operand<TString> records = onHost.withName(IMAGES).placeholder(TString.class);
      Operand<TInt64> labels = onHost.withName(LABELS).placeholder(TInt64.class);
      Operand<TFloat32> decoded = Cifar10Images.decode(onHost, records);
      Operand<TFloat32> inputs =
          distort
              ? Cifar10Images.distort(onHost, decoded, seed)
              : Cifar10Images.centralCrop(onHost, decoded);
      Cifar10Network network = new Cifar10Network(root, variableDevice, seed);
      List<Variable<TFloat32>> variables = network.variables();
      Output<?>[] variableOutputs = new Output<?>[variables.size()];
      for (int v = 0; v < variables.size(); v++) {
        variableOutputs[v] = variables.get(v).asOutput();
        variableNames.add(variables.get(v).op().name());
      }

      Cifar10Network shared = network.readingOn(onHost);
      List<Operand<TFloat32>> towerInputs = split(onHost, inputs, towers.size());
      List<Operand<TInt64>> towerLabels = split(onHost, labels, towers.size());
      List<Operand<TFloat32>> towerLosses = new ArrayList<>();
      List<List<Operand<TFloat32>>> towerGradients = new ArrayList<>();
      for (int t = 0; t < towers.size(); t++) {
        Ops tower = root.withSubScope(towerScope(t)).withDevice(towers.get(t));
        Operand<TFloat32> logits = shared.logits(tower, towerInputs.get(t));
        Operand<TFloat32> towerLoss = shared.loss(tower, logits, towerLabels.get(t));
        towerLosses.add(towerLoss);
        Output<?>[] grads =
            scratch.addGradients(
                towerScope(t) + "/gradients",
                new Output<?>[] {towerLoss.asOutput()},
                variableOutputs,
                null);
        List<Operand<TFloat32>> typed = new ArrayList<>();
        for (Output<?> g : grads) {
          typed.add(g.expect(TFloat32.class));
        }
        towerGradients.add(typed);
      }
      Ops average = onHost.withSubScope(AVERAGE);
      Operand<TFloat32> towerCount = average.constant((float) towers.size());
      for (int v = 0; v < variables.size(); v++) {
        List<Operand<TFloat32>> perTower = new ArrayList<>();
        for (List<Operand<TFloat32>> g : towerGradients) {
          perTower.add(g.get(v));
        }
        average.withName(Integer.toString(v)).math.div(average.math.addN(perTower), towerCount);
      }
      onHost.withName(LOSS).math.mean(onHost.stack(towerLosses), onHost.constant(0));
      pinned = pinTowers(scratch.toGraphDef(), towers);
    }
    Graph graph = new Graph();
    try {
      graph.importGraphDef(pinned);
      return new TowerGraph(graph, variableNames);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The graph; closed with this object. */
  Graph graph() {
    return graph;
  }

  /** The batch of raw 3,072-byte records to feed, [n] strings. */
  Operand<TString> images() {
    return images;
  }

  /** The batch's labels to feed, [n] int64. */
  Operand<TInt64> labels() {
    return labels;
  }

  /** The mean of the towers' losses. */
  Operand<TFloat32> loss() {
    return loss;
  }

  /**
   * Gradient descent on the tower-averaged gradients. {@code ReplicatedTraining} asks its optimizer
   * for the gradients of {@link #loss()}; the average of the towers' gradients is exactly that (the
   * gradient of a mean is the mean of the gradients), computed where the towers run.
   */
  GradientDescent optimizer(float learningRate) {
    return new GradientDescent(graph, learningRate) {
      @Override
      public <T extends TType> List<GradAndVar<?>> computeGradients(Operand<?> target) {
        if (!target.asOutput().equals(loss.asOutput())) {
          throw new IllegalArgumentException(
              "Invalid loss for the tower optimizer: "
                  + target.op().name()
                  + "; it holds the gradients of "
                  + LOSS);
        }
        return gradients;
      }
    };
  }

  /** The averaged gradients, one per variable, as the optimizer returns them. */
  List<GradAndVar<?>> gradients() {
    return gradients;
  }

  @Override
  public void close() {
    graph.close();
  }

  static String towerScope(int tower) {
    return "tower_" + tower;
  }

  /** Gives every op of tower t without a device (its gradients) the tower's device. */
  static GraphDef pinTowers(GraphDef def, List<DeviceSpec> towers) {
    GraphDef.Builder builder = def.toBuilder();
    for (NodeDef.Builder node : builder.getNodeBuilderList()) {
      for (int t = 0; t < towers.size(); t++) {
        if (node.getName().startsWith(towerScope(t) + "/") && node.getDevice().isEmpty()) {
          node.setDevice(towers.get(t).toString());
        }
      }
    }
    return builder.build();
  }

  private static <T extends TType> List<Operand<T>> split(Ops tf, Operand<T> x, int parts) {
    List<Operand<T>> pieces = new ArrayList<>();
    if (parts == 1) {
      pieces.add(x);
      return pieces;
    }
    Split<T> split = tf.split(tf.constant(0), x, (long) parts);
    pieces.addAll(split.output());
    return pieces;
  }

  @SuppressWarnings("unchecked")
  private static <T extends TType> Output<T> output(Graph graph, String name) {
    return (Output<T>) graph.outputOrThrow(name);
  }
}
