/// A fully connected layer: out = x W + b.
///
/// Shapes: input x (n, inputs), weight W (inputs, outputs), bias b (1, outputs), out (n,
/// outputs). Products go through BLAS (`Affine`). The layer keeps its last input for `backward`, so one
/// `Linear` object is one use site; sharing weights between sites means two `Linear`s holding
/// the same `Parameter`s.
public final class Linear {
  /// W, (inputs, outputs).
  public let weight: Parameter
  /// b, (1, outputs), or nil for a layer without bias.
  public let bias: Parameter?
  private var input = Matrix(rows: 0, cols: 0)

  /// A layer over existing (possibly shared) parameters.
  public init(weight: Parameter, bias: Parameter?) {
    precondition(bias == nil || (bias!.value.rows == 1 && bias!.value.cols == weight.value.cols), "bias shape")
    self.weight = weight
    self.bias = bias
  }

  /// A new layer with weights drawn from N(0, 1/inputs) and a zero bias.
  public convenience init(
    name: String, inputs: Int, outputs: Int, bias: Bool = true, generator: inout SeededGenerator
  ) {
    let w = Matrix(rows: inputs, cols: outputs, gaussianStd: 1 / Float(inputs).squareRoot(), generator: &generator)
    self.init(
      weight: Parameter(name: name + ".weight", value: w),
      bias: bias ? Parameter(name: name + ".bias", value: Matrix(rows: 1, cols: outputs)) : nil)
  }

  public var inputs: Int { weight.value.rows }
  public var outputs: Int { weight.value.cols }

  /// out = x W + b.
  public func forward(_ x: Matrix) -> Matrix {
    input = x
    return infer(x)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix) -> Matrix {
    precondition(x.cols == inputs, "Linear expects \(inputs) columns, got \(x.cols)")
    return Affine.forward(x, weight: weight.value, bias: bias?.value)
  }

  /// Differentiates `forward` (out = x W + b): dW += x^T dout, db += column sums of dout;
  /// returns dx = dout W^T.
  public func backward(_ dout: Matrix) -> Matrix {
    precondition(dout.rows == input.rows && dout.cols == outputs, "dout shape differs from the last output")
    return Affine.backward(input, dout, weight: weight, bias: bias)
  }
}
