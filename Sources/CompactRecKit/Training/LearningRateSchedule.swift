import Foundation

/// How the learning rate moves over a run of `epochs` epochs, as a function of the fraction of
/// the run done (0 at the first step, 1 after the last). A decaying schedule spends its large
/// steps early and its last epochs refining, so a run needs fewer epochs than at a constant
/// rate, and its best validation figure sits at the end, where one validation pass finds it.
public enum LearningRateSchedule: String, Sendable, CaseIterable, Codable {
  /// The base rate throughout.
  case constant
  /// Half a cosine from the base rate down to 1% of it (Loshchilov & Hutter, ICLR 2017, one cycle).
  case cosine
  /// A straight line from the base rate down to 1% of it.
  case linear

  /// The rate at `progress` (clamped to 0...1) of the run, for base rate `base`.
  public func rate(_ base: Float, progress: Double) -> Float {
    let t = min(max(progress, 0), 1)
    let floor = 0.01
    switch self {
    case .constant: return base
    case .cosine: return base * Float(floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * t)))
    case .linear: return base * Float(floor + (1 - floor) * (1 - t))
    }
  }
}
