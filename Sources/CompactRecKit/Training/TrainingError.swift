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

extension TrainingError {
  /// The check every training loop makes after a batch: throws `diverged` unless `loss` is
  /// finite.
  static func check<F: BinaryFloatingPoint>(loss: F, epoch: Int, batch: Int) throws {
    guard !loss.isFinite else { return }
    throw TrainingError.diverged(epoch: epoch, batch: batch, what: "the loss is \(loss)")
  }

  /// The check every training loop makes after an epoch, before its checkpoint: throws
  /// `diverged` unless every value of `parameters` is finite. O(total elements).
  static func check(parameters: [Matrix], epoch: Int) throws {
    guard parameters.contains(where: { m in m.storage.contains { !$0.isFinite } }) else { return }
    throw TrainingError.diverged(epoch: epoch, batch: nil, what: "a parameter is not finite")
  }
}
