import Foundation

/// The epoch loop every trained model shares: train an epoch, check that the parameters are
/// finite, validate every `evaluateEvery` epochs, keep the best parameters, stop after
/// `patience` validations without improvement, and with `checkpoint` set save the whole state
/// after an epoch once `checkpoint.interval` seconds have passed since the last save, and after
/// the last epoch, so that a run killed at any moment resumes from its last saved epoch and
/// ends exactly as an uninterrupted run would. Progress goes to the observer; the test
/// set is never consulted.
///
/// What an epoch is (BPR triples for MF-BPR and LightGCN, batches of sequences for the
/// sequential models) is the caller's: `BPRTrainingLoop` and `SequentialModel.train` drive
/// this loop.
struct TrainingLoop {
  var epochs: Int
  /// Validate every this many epochs; 0 never validates and runs every epoch.
  var evaluateEvery: Int
  var patience: Int
  /// The validation metric's name, e.g. `recall@20` (higher is better).
  var metric: String
  /// Stop after this many epochs of the `epochs`-long course; nil runs them all.
  var stopAfter: Int? = nil
  var checkpoint: CheckpointOptions?
  /// Settings a resumed run must share with its checkpoint; recorded in every checkpoint.
  var settings: [String: JSONValue] = [:]
  /// Fingerprint of the training data, checked on resume.
  var dataFingerprint = ""

  /// Runs the loop and says what it did.
  /// - trainEpoch: trains one epoch (numbered from 1), calling `progress` after each batch
  ///   with its position and the epoch's running mean loss; returns the epoch's mean loss.
  ///   It throws `TrainingError.diverged` as soon as a batch's loss is not finite.
  /// - validate: the validation metric for the current parameters.
  /// - keepBest: called when validation improves, to snapshot the parameters.
  /// - restoreBest: called once at the end when a snapshot was taken.
  /// - saveState: everything that continues the run (parameters, optimizer moments, random
  ///   generators, the best snapshot) as tensors.
  /// - restoreState: loads them back from a checkpoint file.
  /// - freshStart: prepares the initial parameters when no checkpoint is restored (a warm
  ///   start), so that a resumed run does not redo work its checkpoint overwrites.
  /// - parameters: the trained parameters, checked to be finite after every epoch.
  ///
  /// Throws `TrainingError.diverged` when a parameter is not finite after an epoch, before
  /// that epoch's checkpoint is written, and `CheckpointError.mismatch` when the checkpoint
  /// to resume was written for other data or settings.
  func run(
    observer: TrainingObserver?,
    trainEpoch: (_ epoch: Int, _ progress: (_ batch: Int, _ batches: Int, _ meanLoss: Double) -> Void) throws -> Double,
    validate: () -> Double, keepBest: () -> Void, restoreBest: () -> Void, saveState: () -> [Tensor],
    restoreState: (ModelFile) throws -> Void, freshStart: () -> Void = {}, parameters: () -> [Matrix]
  ) throws -> TrainingSummary {
    var stopping = EarlyStopping(metric: metric, patience: patience)
    var snapshotTaken = false
    var firstEpoch = 1
    var resumedEpoch = 0
    if let file = try resumableCheckpoint() {
      let m = file.metadata
      stopping = EarlyStopping(
        metric: metric, patience: patience, best: m["best"]?.doubleValue ?? -.infinity,
        bestEpoch: m["best_epoch"]?.intValue ?? 0, runsWithoutImprovement: m["runs_without_improvement"]?.intValue ?? 0)
      snapshotTaken = m["snapshot_taken"]?.boolValue ?? false
      resumedEpoch = m["epoch"]?.intValue ?? 0
      firstEpoch = m["finished"]?.boolValue == true ? Int.max : resumedEpoch + 1
      try restoreState(file)
    } else {
      freshStart()
    }
    let start = Date()
    let lastEpoch = min(max(1, epochs), stopAfter ?? .max)
    var lastSave = start
    func save(epoch: Int, finished: Bool) throws {
      guard let checkpoint else { return }
      guard finished || epoch == lastEpoch || Date().timeIntervalSince(lastSave) >= checkpoint.interval else {
        return
      }
      let metadata: [String: JSONValue] = [
        "epoch": .number(Double(epoch)), "best": stopping.best.isFinite ? .number(stopping.best) : .null,
        "best_epoch": .number(Double(stopping.bestEpoch)),
        "runs_without_improvement": .number(Double(stopping.runsWithoutImprovement)),
        "snapshot_taken": .bool(snapshotTaken), "finished": .bool(finished),
      ]
      try ModelFile(
        kind: "checkpoint", hyperParameters: settings, dataFingerprint: dataFingerprint, metadata: metadata,
        tensors: saveState()
      ).write(to: checkpoint.path)
      lastSave = Date()
    }
    var epochsRun = firstEpoch == .max ? resumedEpoch : firstEpoch - 1
    for epoch in firstEpoch..<max(firstEpoch, lastEpoch + 1) {
      epochsRun = epoch
      let epochStart = Date()
      let loss = try trainEpoch(epoch) { batch, batches, meanLoss in
        observer?(
          .batch(
            epoch: epoch, epochs: lastEpoch, batch: batch, batches: batches, loss: meanLoss,
            elapsed: Date().timeIntervalSince(start)))
      }
      observer?(.epoch(epoch: epoch, epochs: lastEpoch, loss: loss, seconds: Date().timeIntervalSince(epochStart)))
      try TrainingError.check(parameters: parameters(), epoch: epoch)
      guard evaluateEvery > 0 && epoch % evaluateEvery == 0 else {
        try save(epoch: epoch, finished: false)
        continue
      }
      let value = validate()
      let (improved, stop) = stopping.record(value, epoch: epoch)
      if improved {
        keepBest()
        snapshotTaken = true
      }
      observer?(.validation(epoch: epoch, metric: metric, value: value, best: stopping.best, improved: improved))
      try save(epoch: epoch, finished: stop)
      if stop {
        observer?(.earlyStop(epoch: epoch, bestEpoch: stopping.bestEpoch))
        break
      }
    }
    if snapshotTaken { restoreBest() }
    return TrainingSummary(
      epochsRun: epochsRun, bestEpoch: snapshotTaken ? stopping.bestEpoch : nil,
      bestValue: snapshotTaken ? stopping.best : nil, metric: metric)
  }

  /// The checkpoint to continue from, checked against this run's data and settings; nil
  /// when the run starts fresh.
  private func resumableCheckpoint() throws -> ModelFile? {
    guard let checkpoint, checkpoint.resume, FileManager.default.fileExists(atPath: checkpoint.path) else {
      return nil
    }
    let file = try ModelFile.read(from: checkpoint.path)
    guard file.kind == "checkpoint" else {
      throw CheckpointError.mismatch("\(checkpoint.path) is a \(file.kind) model file, not a checkpoint")
    }
    guard file.dataFingerprint == dataFingerprint else {
      throw CheckpointError.mismatch("\(checkpoint.path) was written for other training data")
    }
    // Both ways: a setting only one side has (a dynamic draw, a clipping limit) differs too.
    for key in Set(settings.keys).union(file.hyperParameters.keys).sorted()
    where file.hyperParameters[key] != settings[key] {
      func text(_ value: JSONValue?) -> String { value.map { "\($0)" } ?? "nothing" }
      throw CheckpointError.mismatch(
        "\(checkpoint.path) was written with \(key) = \(text(file.hyperParameters[key])), not \(text(settings[key]))")
    }
    return file
  }
}
