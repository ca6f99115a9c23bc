/// A causal dilated 1-D convolution over sequences (NextItNet's building block).
///
/// Shapes: input x (B*T, C) holding B sequences of length T one after the other, weight W
/// (K*C, OC) with tap k's (C, OC) block at rows k*C ..< (k+1)*C, bias (1, OC), out (B*T, OC):
/// out[b, t] = bias + sum_k x[b, t - (K - 1 - k) * dilation] W_k, where positions before the
/// start of a sequence read as zero, so no output sees the future. Computed as one BLAS
/// product over the unfolded input ("im2col", (B*T, K*C)), which the layer keeps for
/// `backward`.
public final class CausalConv1d {
  /// W, (kernel * channels, outputs).
  public let weight: Parameter
  /// (1, outputs).
  public let bias: Parameter
  public let kernel: Int
  public let dilation: Int
  private var columns = Matrix(rows: 0, cols: 0)
  private var length = 0

  /// A layer over existing (possibly shared) parameters.
  public init(weight: Parameter, bias: Parameter, kernel: Int, dilation: Int) {
    precondition(kernel >= 1 && dilation >= 1 && weight.value.rows % kernel == 0, "bad convolution shape")
    precondition(bias.value.rows == 1 && bias.value.cols == weight.value.cols, "bias shape")
    self.weight = weight
    self.bias = bias
    self.kernel = kernel
    self.dilation = dilation
  }

  /// A new layer with weights from N(0, 1 / (kernel * channels)) and a zero bias.
  public convenience init(
    name: String, channels: Int, outputs: Int, kernel: Int = 3, dilation: Int, generator: inout SeededGenerator
  ) {
    let fanIn = kernel * channels
    self.init(
      weight: Parameter(
        name: name + ".weight",
        value: Matrix(rows: fanIn, cols: outputs, gaussianStd: 1 / Float(fanIn).squareRoot(), generator: &generator)),
      bias: Parameter(name: name + ".bias", value: Matrix(rows: 1, cols: outputs)), kernel: kernel, dilation: dilation)
  }

  public var channels: Int { weight.value.rows / kernel }
  public var outputs: Int { weight.value.cols }

  /// How far back tap k reads.
  private func shift(_ k: Int) -> Int { (kernel - 1 - k) * dilation }

  /// out = unfold(x) W + bias, for sequences of `length` positions each.
  public func forward(_ x: Matrix, length: Int) -> Matrix {
    self.length = length
    columns = unfolded(x, length: length)
    return Affine.forward(columns, weight: weight.value, bias: bias.value)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix, length: Int) -> Matrix {
    Affine.forward(unfolded(x, length: length), weight: weight.value, bias: bias.value)
  }

  /// Each row's kernel window of inputs side by side, (rows, kernel * channels), zeros before
  /// the sequence start.
  private func unfolded(_ x: Matrix, length: Int) -> Matrix {
    precondition(x.cols == channels && length > 0 && x.rows % length == 0, "CausalConv1d input shape")
    let c = channels
    let width = kernel * c
    var col = Matrix(rows: x.rows, cols: width)
    x.withUnsafePointer { xp in
      col.withUnsafeMutablePointer { cp in
        for r in 0..<x.rows {
          let t = r % length
          for k in 0..<kernel where t >= shift(k) {
            (cp + r * width + k * c).update(from: xp + (r - shift(k)) * c, count: c)
          }
        }
      }
    }
    return col
  }

  /// Differentiates `forward`: dW += unfold(x)^T dout, dbias += column sums of dout, and dx
  /// is dout W^T folded back: the block of tap k at row (b, t) adds to x row (b, t - shift).
  public func backward(_ dout: Matrix) -> Matrix {
    precondition(dout.rows == columns.rows && dout.cols == outputs, "dout shape differs from the last output")
    let n = dout.rows
    let c = channels
    let width = kernel * c
    let dcol = Affine.backward(columns, dout, weight: weight, bias: bias)
    var dx = Matrix(rows: n, cols: c)
    dcol.withUnsafePointer { dp in
      dx.withUnsafeMutablePointer { xp in
        for r in 0..<n {
          let t = r % length
          for k in 0..<kernel where t >= shift(k) {
            let from = dp + r * width + k * c
            let to = xp + (r - shift(k)) * c
            for j in 0..<c { to[j] += from[j] }
          }
        }
      }
    }
    return dx
  }
}
