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
    let (y, xhat, rstd) = normalize(x)
    normalized = xhat
    inverseStd = rstd
    return y
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix) -> Matrix { normalize(x).y }

  /// The output, the normalized rows and each row's inverse standard deviation.
  private func normalize(_ x: Matrix) -> (y: Matrix, normalized: Matrix, inverseStd: [Float]) {
    precondition(x.cols == width, "LayerNorm expects \(width) columns, got \(x.cols)")
    let d = width
    let eps = epsilon
    var xhat = Matrix(rows: x.rows, cols: d)
    var y = Matrix(rows: x.rows, cols: d)
    var rstd = [Float](repeating: 0, count: x.rows)
    x.withUnsafePointer { xp in
      gain.value.withUnsafePointer { g in
        shift.value.withUnsafePointer { b in
          xhat.withUnsafeMutablePointer { h in
            y.withUnsafeMutablePointer { yp in
              rstd.withUnsafeMutableBufferPointer { rstd in
                Parallel.forEach(x.rows, grain: 64) { r in
                  let row = xp + r * d
                  let mean =
                    RowSum.of(d) {
                      row[$0]
                    } lanes: {
                      RowSum.load(row + $0)
                    } / Float(d)
                  let m8 = SIMD8<Float>(repeating: mean)
                  let variance = RowSum.of(d) {
                    (row[$0] - mean) * (row[$0] - mean)
                  } lanes: {
                    let t = RowSum.load(row + $0) - m8
                    return t * t
                  }
                  let s = 1 / (variance / Float(d) + eps).squareRoot()
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
    }
    return (y, xhat, rstd)
  }

  /// Differentiates `forward`: dgamma += sum dy * xhat, dbeta += sum dy, and with
  /// dxhat = dy * gamma, dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
  /// Rows are split over the cores, each part summing its own dgamma and dbeta, which are
  /// added in part order.
  public func backward(_ dy: Matrix) -> Matrix {
    precondition(dy.rows == normalized.rows && dy.cols == width, "dy shape differs from the last output")
    let d = width
    var dx = Matrix(rows: dy.rows, cols: d)
    let parts = Parallel.workers
    var partials = [Float](repeating: 0, count: parts * 2 * d)
    dy.withUnsafePointer { dyp in
      normalized.withUnsafePointer { h in
        gain.value.withUnsafePointer { g in
          inverseStd.withUnsafeBufferPointer { rstd in
            partials.withUnsafeMutableBufferPointer { partials in
              dx.withUnsafeMutablePointer { o in
                Parallel.forEachChunk(of: dy.rows, chunks: parts) { part, range in
                  let dg = partials.baseAddress! + part * 2 * d
                  let db = dg + d
                  for r in range {
                    let grad = dyp + r * d
                    let hr = h + r * d
                    for c in 0..<d {
                      dg[c] += grad[c] * hr[c]
                      db[c] += grad[c]
                    }
                    let meanD = RowSum.of(d) {
                      grad[$0] * g[$0]
                    } lanes: {
                      RowSum.load(grad + $0) * RowSum.load(g + $0)
                    }
                    let meanDH = RowSum.of(d) {
                      grad[$0] * g[$0] * hr[$0]
                    } lanes: {
                      RowSum.load(grad + $0) * RowSum.load(g + $0) * RowSum.load(hr + $0)
                    }
                    let (md, mdh) = (meanD / Float(d), meanDH / Float(d))
                    for c in 0..<d { o[r * d + c] = rstd[r] * (grad[c] * g[c] - md - hr[c] * mdh) }
                  }
                }
              }
            }
          }
        }
      }
    }
    gain.grad.withUnsafeMutablePointer { dg in
      shift.grad.withUnsafeMutablePointer { db in
        for part in 0..<parts {
          for c in 0..<d {
            dg[c] += partials[part * 2 * d + c]
            db[c] += partials[part * 2 * d + d + c]
          }
        }
      }
    }
    return dx
  }
}

/// Sums over a row in eight lanes (the tail past a multiple of eight added one by one): the
/// reductions of `LayerNorm`, kept short of a long chain of dependent scalar adds.
enum RowSum {
  /// sum of term(c) for c < n, where lanes(c) gives terms c..<c+8 at once.
  @inline(__always)
  static func of(_ n: Int, _ term: (Int) -> Float, lanes: (Int) -> SIMD8<Float>) -> Float {
    var acc = SIMD8<Float>()
    var c = 0
    while c + 8 <= n {
      acc += lanes(c)
      c += 8
    }
    var total = acc.sum()
    while c < n {
      total += term(c)
      c += 1
    }
    return total
  }

  /// Eight floats from `p` (any alignment).
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }
}
