package org.sparktf.examples.mnist;

import java.util.Map;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelFunction;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The fully connected MNIST classifier: 784 pixels, one hidden ReLU layer, 10 softmax classes.
 * Input "image" (float32 [batch, 784] in [0, 1]); outputs "prediction" (int64 class) and
 * "probabilities" (float32 [batch, 10]).
 */
public final class MnistModel implements ModelFunction {
  private static final long serialVersionUID = 1L;
  static final int PIXELS = 28 * 28;
  static final int CLASSES = 10;

  private final int hiddenUnits;

  public MnistModel(int hiddenUnits) {
    if (hiddenUnits < 1) {
      throw new IllegalArgumentException(
          "Invalid hidden layer size: " + hiddenUnits + "; it must be >= 1");
    }
    this.hiddenUnits = hiddenUnits;
  }

  @Override
  public ModelOutputs build(ModelBuilder model) {
    var tf = model.tf();
    Operand<TFloat32> hidden =
        Layers.dense(model, "hidden", model.input("image"), PIXELS, hiddenUnits, true);
    Operand<TFloat32> logits = Layers.dense(model, "logits", hidden, hiddenUnits, CLASSES, false);
    Operand<TFloat32> loss =
        model.training()
            ? Layers.softmaxCrossEntropy(model, logits, model.labelAsClasses(), CLASSES)
            : null;
    return ModelOutputs.of(
        loss,
        Map.of(
            "prediction", tf.math.argMax(logits, tf.constant(1)),
            "probabilities", tf.nn.softmax(logits)));
  }
}
