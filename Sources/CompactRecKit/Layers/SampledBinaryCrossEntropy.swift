import Foundation

/// SASRec's original training loss over an output table: for each row with a target, the
/// target's logit against one sampled negative item's, as two binary decisions:
/// loss = -log sigmoid(s_target) - log sigmoid(-s_negative), s_i = h . W_i + b_i, averaged
/// over the rows with a target. It costs O(width) per row instead of O(items * width), and
/// ranks with the same logits as the full softmax.
extension SoftmaxCrossEntropy {
  /// The loss above and its gradients (accumulated into `weight` and `bias`); returns dh
  /// (zero rows where there is no target). hidden (n, width); targets and negatives (n), a
  /// negative per row with a target.
  public func sampledBinaryLossAndGradient(_ hidden: Matrix, targets: [Int32], negatives: [Int32]) -> (
    loss: Float, count: Int, dHidden: Matrix
  ) {
    precondition(hidden.rows == targets.count && targets.count == negatives.count && hidden.cols == width, "shapes")
    let rows = targets.indices.filter { targets[$0] != Self.noTarget }
    var dHidden = Matrix(rows: hidden.rows, cols: width)
    guard !rows.isEmpty else { return (0, 0, dHidden) }
    let d = width
    let scale = 1 / Float(rows.count)
    var loss: Double = 0
    hidden.withUnsafePointer { h in
      weight.value.withUnsafePointer { w in
        bias.value.withUnsafePointer { b in
          weight.grad.withUnsafeMutablePointer { gw in
            bias.grad.withUnsafeMutablePointer { gb in
              dHidden.withUnsafeMutablePointer { dh in
                for r in rows {
                  let row = h + r * d
                  // forward: s = h . W_i + b_i; loss -log sigmoid(+-s), so ds = (sigmoid(s) - y) * scale.
                  for label: Float in [1, 0] {
                    let item = Int(label == 1 ? targets[r] : negatives[r])
                    precondition(item >= 0 && item < items, "item \(item) out of range")
                    var s = b[item]
                    for c in 0..<d { s += row[c] * w[item * d + c] }
                    let p = 1 / (1 + Foundation.exp(-s))
                    loss -= Double(label == 1 ? Self.logSigmoid(s) : Self.logSigmoid(-s))
                    let ds = (p - label) * scale
                    gb[item] += ds
                    for c in 0..<d {
                      dh[r * d + c] += ds * w[item * d + c]
                      gw[item * d + c] += ds * row[c]
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (Float(loss * Double(scale)), rows.count, dHidden)
  }

  /// log sigmoid(x), stable for large |x|.
  static func logSigmoid(_ x: Float) -> Float {
    x >= 0 ? -Foundation.log1p(Foundation.exp(-x)) : x - Foundation.log1p(Foundation.exp(x))
  }
}
