import CKernels
import Foundation

/// Adam (Kingma & Ba) with optional decoupled weight decay (AdamW).
///
/// `step(_:)` updates whole parameters; `step(_:rows:)` updates only the given rows of an
/// embedding table (lazy Adam: rows without gradient keep their moments untouched), which is
/// what makes sparse embedding training cost O(batch) instead of O(table).
public final class Adam {
  /// Learning rate.
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  /// Decoupled weight decay (AdamW); 0 disables.
  public var weightDecay: Float
  /// Update steps taken so far (drives bias correction).
  public private(set) var stepCount = 0
  private var moments: [ObjectIdentifier: (m: [Float], v: [Float])] = [:]

  public init(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// The first and second moments of `p` (nil before its first update), for checkpoints.
  public func moments(of p: Parameter) -> (m: [Float], v: [Float])? { moments[ObjectIdentifier(p)] }

  /// Restores a saved step count and the moments of `p`. Precondition: sizes match `p`.
  public func restore(stepCount: Int, moments saved: (m: [Float], v: [Float])?, of p: Parameter) {
    self.stepCount = stepCount
    if let saved {
      precondition(saved.m.count == p.count && saved.v.count == p.count, "moment sizes differ")
      moments[ObjectIdentifier(p)] = saved
    }
  }

  /// Advances the step counter; call once per optimizer step, before the `update` calls.
  public func beginStep() { stepCount += 1 }

  /// Dense update of every element of each parameter from its gradient.
  public func step(_ parameters: [Parameter]) {
    beginStep()
    for p in parameters { update(p, rows: nil) }
  }

  /// Lazy update of `rows` of `parameter` only (each row once). Call `beginStep()` first.
  public func update(_ p: Parameter, rows: [Int32]?) {
    let id = ObjectIdentifier(p)
    if moments[id] == nil {
      moments[id] = ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
    }
    let t = Float(stepCount)
    let c1 = 1 - pow(beta1, t)
    let c2 = 1 - pow(beta2, t)
    let lr = learningRate
    let b1 = beta1
    let b2 = beta2
    let eps = epsilon
    let decay = 1 - learningRate * weightDecay
    let cols = p.value.cols
    let total = p.count
    var state = moments.removeValue(forKey: id)!
    state.m.withUnsafeMutableBufferPointer { mb in
      state.v.withUnsafeMutableBufferPointer { vb in
        p.value.withUnsafeMutablePointer { w in
          p.grad.withUnsafePointer { g in
            let m = mb.baseAddress!
            let v = vb.baseAddress!
            func run(_ lo: Int, _ hi: Int) {
              crk_adam_update(w + lo, g + lo, m + lo, v + lo, Int64(hi - lo), lr, b1, b2, c1, c2, eps, decay)
            }
            if let rows {
              for r in rows { run(Int(r) * cols, Int(r) * cols + cols) }
            } else {
              Parallel.forEachChunk(of: total, chunks: total > 1 << 16 ? Parallel.workers : 1) {
                _, range in run(range.lowerBound, range.upperBound)
              }
            }
          }
        }
      }
    }
    moments[id] = state
  }
}
