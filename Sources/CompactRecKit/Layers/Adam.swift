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
    let cols = p.value.cols
    let total = p.count
    p.grad.withUnsafePointer { g in
      withStepArguments(p) { a in
        func run(_ lo: Int, _ hi: Int) {
          crk_adam_update(
            a.w + lo, g + lo, a.m + lo, a.v + lo, Int64(hi - lo), a.lr, a.b1, a.b2, a.c1, a.c2, a.eps, a.decay)
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

  /// Calls `body` with the arguments of this step for `p` (its values, moments and the
  /// step's constants; no half copy) for a C kernel that applies the update itself, for
  /// instance fused into the pass that computes the gradient. Call `beginStep()` first.
  func withStepArguments<R>(_ p: Parameter, _ body: (crk_adam_rows) -> R) -> R {
    let id = ObjectIdentifier(p)
    if moments[id] == nil {
      moments[id] = ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
    }
    let t = Float(stepCount)
    var state = moments.removeValue(forKey: id)!
    defer { moments[id] = state }
    return state.m.withUnsafeMutableBufferPointer { m in
      state.v.withUnsafeMutableBufferPointer { v in
        p.value.withUnsafeMutablePointer { w in
          body(
            crk_adam_rows(
              w: w, m: m.baseAddress, v: v.baseAddress, w_half: nil, lr: learningRate, b1: beta1, b2: beta2,
              c1: 1 - pow(beta1, t), c2: 1 - pow(beta2, t), eps: epsilon, decay: 1 - learningRate * weightDecay))
        }
      }
    }
  }
}
