import Foundation

/// The exact Gaussian error linear unit, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, element-wise
/// (as PyTorch's default); keeps its input for `backward`.
public final class GELU {
  private var input = Matrix(rows: 0, cols: 0)

  public init() {}

  public func forward(_ x: Matrix) -> Matrix {
    input = x
    return infer(x)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix) -> Matrix {
    var y = x
    for i in 0..<y.storage.count {
      let v = x.storage[i]
      y.storage[i] = 0.5 * v * (1 + erf(v / Float(2).squareRoot()))
    }
    return y
  }

  /// dx = dy (Phi(x) + x phi(x)), phi the standard normal density.
  public func backward(_ dy: Matrix) -> Matrix {
    precondition(dy.storage.count == input.storage.count, "dy shape differs from the last output")
    var dx = dy
    let norm = 1 / Float(2 * Double.pi).squareRoot()
    for i in 0..<dx.storage.count {
      let v = input.storage[i]
      let cdf = 0.5 * (1 + erf(v / Float(2).squareRoot()))
      dx.storage[i] = dy.storage[i] * (cdf + v * norm * exp(-0.5 * v * v))
    }
    return dx
  }
}
