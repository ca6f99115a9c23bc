import CKernels
import Foundation

/// Next-item softmax cross-entropy over every item, fused with its backward.
///
/// Shapes: hidden h (n, width), weight W (items, width), bias (1, items), targets (n), where a
/// target of `SoftmaxCrossEntropy.noTarget` marks a position without a next item (padding):
/// those rows are skipped entirely, so they cost nothing. For each other row, logits = h W^T +
/// bias and the loss is -log softmax(logits)[target], averaged over those rows. Rows go
/// through BLAS in chunks, so the (rows, items) logits never exist all at once.
public final class SoftmaxCrossEntropy {
  /// The target of a position that has none.
  public static let noTarget: Int32 = -1
  /// W, (items, width).
  public let weight: Parameter
  /// (1, items).
  public let bias: Parameter
  /// Rows whose logits are held at once.
  public var chunk = 256

  /// A loss over existing (possibly shared, e.g. tied to an input embedding) parameters.
  public init(weight: Parameter, bias: Parameter) {
    precondition(bias.value.rows == 1 && bias.value.cols == weight.value.rows, "bias shape")
    self.weight = weight
    self.bias = bias
  }

  /// A new output layer with weights from N(0, 1/width) and a zero bias.
  public convenience init(name: String, items: Int, width: Int, generator: inout SeededGenerator) {
    self.init(
      weight: Parameter(
        name: name + ".weight",
        value: Matrix(rows: items, cols: width, gaussianStd: 1 / Float(width).squareRoot(), generator: &generator)),
      bias: Parameter(name: name + ".bias", value: Matrix(rows: 1, cols: items)))
  }

  public var items: Int { weight.value.rows }
  public var width: Int { weight.value.cols }

  /// Logits h W^T + bias of the given rows, (rows, items): for ranking.
  public func logits(_ hidden: Matrix) -> Matrix {
    precondition(hidden.cols == width, "hidden width \(hidden.cols), expected \(width)")
    var out = Matrix(rows: hidden.rows, cols: items)
    let n = items
    hidden.withUnsafePointer { h in
      weight.value.withUnsafePointer { w in
        bias.value.withUnsafePointer { b in
          out.withUnsafeMutablePointer { o in
            for r in 0..<hidden.rows { (o + r * n).update(from: b, count: n) }
            BLAS.gemm(
              transposeB: true, m: hidden.rows, n: n, k: width, a: h, lda: width, b: w, ldb: width, beta: 1, c: o,
              ldc: n)
          }
        }
      }
    }
    return out
  }

  /// The mean loss over rows with a target and how many there were; accumulates dW and dbias
  /// and returns dh (zero rows where there is no target). With p = softmax(logits), the
  /// gradient of a row's loss by its logits is p - onehot(target), so dh = (p - y) W / count,
  /// dW += (p - y)^T h / count, dbias += (p - y) / count.
  public func lossAndGradient(_ hidden: Matrix, targets: [Int32]) -> (loss: Float, count: Int, dHidden: Matrix) {
    lossAndGradient(hidden, targets: targets, dividingBy: nil)
  }

  /// `lossAndGradient(_:targets:)` with the summed loss and its gradients divided by
  /// `normalizer` instead of the row count: for a loss that is one term of a larger mean
  /// (the adaptive softmax's tail blocks).
  public func lossAndGradient(_ hidden: Matrix, targets: [Int32], dividingBy normalizer: Int?) -> (
    loss: Float, count: Int, dHidden: Matrix
  ) {
    precondition(hidden.rows == targets.count && hidden.cols == width, "hidden and targets differ in shape")
    let rows = targets.indices.filter { targets[$0] != Self.noTarget }
    for r in rows { precondition(targets[r] >= 0 && Int(targets[r]) < items, "target \(targets[r]) out of range") }
    var dHidden = Matrix(rows: hidden.rows, cols: width)
    guard !rows.isEmpty else { return (0, 0, dHidden) }
    let d = width
    let n = items
    let scale = 1 / Float(normalizer ?? rows.count)
    var loss: Double = 0
    var h = Matrix(rows: min(chunk, rows.count), cols: d)
    var p = Matrix(rows: h.rows, cols: n)
    var dh = Matrix(rows: h.rows, cols: d)
    var rowLoss = [Double](repeating: 0, count: h.rows)
    let ones = Matrix(rows: 1, cols: h.rows, repeating: 1)
    for start in stride(from: 0, to: rows.count, by: chunk) {
      let part = rows[start..<min(rows.count, start + chunk)]
      let m = part.count
      hidden.withUnsafePointer { src in
        h.withUnsafeMutablePointer { hp in
          for (k, r) in part.enumerated() { (hp + k * d).update(from: src + r * d, count: d) }
        }
      }
      h.withUnsafePointer { hp in
        weight.value.withUnsafePointer { w in
          bias.value.withUnsafePointer { b in
            p.withUnsafeMutablePointer { pp in
              for k in 0..<m { (pp + k * n).update(from: b, count: n) }
              BLAS.gemm(
                transposeB: true, m: m, n: n, k: d, a: hp, lda: d, b: w, ldb: d, beta: 1, c: pp, ldc: n)
              // Row-wise softmax; the loss of row k, and p - onehot scaled by 1 / count.
              rowLoss.withUnsafeMutableBufferPointer { lossBuffer in
                let lossOut = lossBuffer.baseAddress!
                Parallel.forEach(m, grain: 16) { k in
                  let target = targets[part[part.startIndex + k]]
                  lossOut[k] = crk_softmax_xent_row(pp + k * n, Int64(n), target, scale)
                }
              }
            }
          }
        }
      }
      for k in 0..<m { loss += rowLoss[k] }
      p.withUnsafePointer { pp in
        h.withUnsafePointer { hp in
          weight.grad.withUnsafeMutablePointer { g in
            BLAS.gemm(transposeA: true, m: n, n: d, k: m, a: pp, lda: n, b: hp, ldb: d, beta: 1, c: g, ldc: d)
          }
          ones.withUnsafePointer { one in
            bias.grad.withUnsafeMutablePointer { g in
              BLAS.gemv(transpose: true, rows: m, cols: n, a: pp, lda: n, x: one, beta: 1, y: g)
            }
          }
          weight.value.withUnsafePointer { w in
            dh.withUnsafeMutablePointer { o in
              BLAS.gemm(m: m, n: d, k: n, a: pp, lda: n, b: w, ldb: d, c: o, ldc: d)
            }
          }
        }
      }
      dh.withUnsafePointer { src in
        dHidden.withUnsafeMutablePointer { dst in
          for (k, r) in part.enumerated() { (dst + r * d).update(from: src + k * d, count: d) }
        }
      }
    }
    return (Float(loss * Double(scale)), rows.count, dHidden)
  }
}
