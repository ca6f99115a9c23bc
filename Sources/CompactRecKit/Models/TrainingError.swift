/// Why a training run stopped without a model.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The loss (at a batch) or a parameter (at the end of an epoch) stopped being finite:
  /// the run diverged, almost always from a learning rate too high for the data. The run
  /// stops at once, so no checkpoint or model holding NaN is written; an earlier epoch's
  /// checkpoint stays as it was.
  case diverged(epoch: Int, batch: Int?, what: String)

  public var description: String {
    switch self {
    case .diverged(let epoch, let batch, let what):
      let place = batch.map { "epoch \(epoch), batch \($0)" } ?? "the end of epoch \(epoch)"
      return "training diverged at \(place): \(what); lower the learning rate (or the L2 coefficient) and try again"
    }
  }
}

/// Whether every value of every matrix is finite. O(total elements).
func allFinite(_ matrices: [Matrix]) -> Bool {
  matrices.allSatisfy { m in m.storage.allSatisfy { $0.isFinite } }
}
