import Foundation

/// Layer normalization over the last dimension: y = (x - mean) / sqrt(var + eps) * gamma + beta.
///
/// Shapes: x (n, width), gamma and beta (1, width), y (n, width). Keeps the normalized input
/// and each row's 1/std for `backward`.
public final class LayerNorm {
  /// gamma, (1, width), initially 1.
  public let gain: Parameter
  /// beta, (1, width), initially 0.
  public let shift: Parameter
  public let epsilon: Float
  private var normalized = Matrix(rows: 0, cols: 0)
  private var inverseStd: [Float] = []

  public init(name: String, width: Int, epsilon: Float = 1e-5) {
    gain = Parameter(name: name + ".gain", value: Matrix(rows: 1, cols: width, repeating: 1))
    shift = Parameter(name: name + ".shift", value: Matrix(rows: 1, cols: width))
    self.epsilon = epsilon
  }

  public var width: Int { gain.value.cols }

  public func forward(_ x: Matrix) -> Matrix {
    precondition(x.cols == width, "LayerNorm expects \(width) columns, got \(x.cols)")
    let d = width
    var xhat = Matrix(rows: x.rows, cols: d)
    var y = Matrix(rows: x.rows, cols: d)
    var rstd = [Float](repeating: 0, count: x.rows)
    x.withUnsafePointer { xp in
      gain.value.withUnsafePointer { g in
        shift.value.withUnsafePointer { b in
          xhat.withUnsafeMutablePointer { h in
            y.withUnsafeMutablePointer { yp in
              for r in 0..<x.rows {
                let row = xp + r * d
                var mean: Float = 0
                for c in 0..<d { mean += row[c] }
                mean /= Float(d)
                var variance: Float = 0
                for c in 0..<d { variance += (row[c] - mean) * (row[c] - mean) }
                let s = 1 / (variance / Float(d) + epsilon).squareRoot()
                rstd[r] = s
                for c in 0..<d {
                  let n = (row[c] - mean) * s
                  h[r * d + c] = n
                  yp[r * d + c] = n * g[c] + b[c]
                }
              }
            }
          }
        }
      }
    }
    normalized = xhat
    inverseStd = rstd
    return y
  }

  /// Differentiates `forward`: dgamma += sum dy * xhat, dbeta += sum dy, and with
  /// dxhat = dy * gamma, dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
  public func backward(_ dy: Matrix) -> Matrix {
    precondition(dy.rows == normalized.rows && dy.cols == width, "dy shape differs from the last output")
    let d = width
    var dx = Matrix(rows: dy.rows, cols: d)
    dy.withUnsafePointer { dyp in
      normalized.withUnsafePointer { h in
        gain.value.withUnsafePointer { g in
          gain.grad.withUnsafeMutablePointer { dg in
            shift.grad.withUnsafeMutablePointer { db in
              dx.withUnsafeMutablePointer { o in
                for r in 0..<dy.rows {
                  var meanD: Float = 0
                  var meanDH: Float = 0
                  for c in 0..<d {
                    let grad = dyp[r * d + c]
                    let dh = grad * g[c]
                    meanD += dh
                    meanDH += dh * h[r * d + c]
                    dg[c] += grad * h[r * d + c]
                    db[c] += grad
                  }
                  meanD /= Float(d)
                  meanDH /= Float(d)
                  for c in 0..<d {
                    let dh = dyp[r * d + c] * g[c]
                    o[r * d + c] = inverseStd[r] * (dh - meanD - h[r * d + c] * meanDH)
                  }
                }
              }
            }
          }
        }
      }
    }
    return dx
  }
}
