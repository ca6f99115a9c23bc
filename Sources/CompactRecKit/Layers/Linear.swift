/// A fully connected layer: out = x W + b.
///
/// Shapes: input x (n, inputs), weight W (inputs, outputs), bias b (1, outputs), out (n,
/// outputs). Products go through BLAS. The layer keeps its last input for `backward`, so one
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
    precondition(x.cols == inputs, "Linear expects \(inputs) columns, got \(x.cols)")
    input = x
    var out = Matrix(rows: x.rows, cols: outputs)
    if let bias {
      out.withUnsafeMutablePointer { o in
        bias.value.withUnsafePointer { b in
          for r in 0..<x.rows { (o + r * outputs).update(from: b, count: outputs) }
        }
      }
    }
    x.withUnsafePointer { a in
      weight.value.withUnsafePointer { w in
        out.withUnsafeMutablePointer { o in
          BLAS.gemm(
            m: x.rows, n: outputs, k: inputs, a: a, lda: inputs, b: w, ldb: outputs, beta: bias == nil ? 0 : 1,
            c: o, ldc: outputs)
        }
      }
    }
    return out
  }

  /// Differentiates `forward` (out = x W + b): dW += x^T dout, db += column sums of dout;
  /// returns dx = dout W^T.
  public func backward(_ dout: Matrix) -> Matrix {
    precondition(dout.rows == input.rows && dout.cols == outputs, "dout shape differs from the last output")
    let n = input.rows
    input.withUnsafePointer { a in
      dout.withUnsafePointer { d in
        weight.grad.withUnsafeMutablePointer { g in
          BLAS.gemm(
            transposeA: true, m: inputs, n: outputs, k: n, a: a, lda: inputs, b: d, ldb: outputs, beta: 1, c: g,
            ldc: outputs)
        }
        if let bias {
          bias.grad.withUnsafeMutablePointer { g in
            for r in 0..<n { for c in 0..<outputs { g[c] += d[r * outputs + c] } }
          }
        }
      }
    }
    var dx = Matrix(rows: n, cols: inputs)
    dout.withUnsafePointer { d in
      weight.value.withUnsafePointer { w in
        dx.withUnsafeMutablePointer { o in
          BLAS.gemm(
            transposeB: true, m: n, n: inputs, k: outputs, a: d, lda: outputs, b: w, ldb: outputs, c: o, ldc: inputs)
        }
      }
    }
    return dx
  }
}
