import Foundation

/// The epoch loop shared by the BPR-trained models (MF-BPR, LightGCN): each epoch visits every
/// training interaction once in a seeded random order with a uniform negative, in batches
/// handed to the model's `step`; every `evaluateEvery` epochs it measures validation
/// Recall@20, remembers the best parameters and stops after `patience` runs without
/// improvement. Progress goes to the observer; the test set is never consulted. With
/// `checkpoint` set, the whole state is saved after every epoch and a resumed run continues
/// from the last saved epoch.
struct BPRTrainingLoop {
  var epochs: Int
  var batchSize: Int
  var evaluateEvery: Int
  var patience: Int
  var samplerSeed: UInt64
  var sampling = PositiveSampling.interactions
  /// The learning rate's course over the `epochs` epochs, handed to `step` as a rate.
  var schedule = LearningRateSchedule.constant
  var learningRate: Float = 1e-3
  /// How negatives are drawn; a dynamic draw asks `run`'s `hardest` to choose.
  var negatives = NegativeSampling.uniform
  /// Stop after this many epochs of the `epochs`-long course; nil runs them all.
  var stopAfter: Int? = nil
  var checkpoint: CheckpointOptions?
  /// Settings a resumed run must share with the checkpoint (everything but `epochs`, which
  /// is added when a decaying schedule depends on it).
  var settings: [String: JSONValue] = [:]
  /// Fingerprint of the training data, checked on resume.
  var dataFingerprint = ""

  /// `settings`, plus the schedule and the epoch count when the learning rate's course depends
  /// on them, and the negative sampling when it is not uniform (so that checkpoints of runs
  /// without them stay resumable).
  private var recordedSettings: [String: JSONValue] {
    var all = settings
    if schedule != .constant {
      all["epochs"] = .number(Double(epochs))
      all["schedule"] = .string(schedule.rawValue)
    }
    if negatives != .uniform { all["negatives"] = .string(negatives.description) }
    return all
  }

  /// Runs the loop over `matrix` (the fitted training interactions of `dataset`) and says
  /// what it did.
  /// - step: one optimizer step on (users, positives, negatives) at the scheduled learning
  ///   rate; returns the batch's mean loss.
  ///   It may call its last argument, once, where one of its phases leaves a core idle: the
  ///   loop then draws the next batch's triples (the same triples whenever they are drawn).
  /// - validate: Recall@20 on the validation split for the current parameters.
  /// - keepBest: called when validation improves, to snapshot the parameters.
  /// - restoreBest: called once at the end when a snapshot was taken.
  /// - saveState: the model's parameters, optimizer moments and best snapshot as tensors.
  /// - restoreState: loads them back from a checkpoint file.
  /// - freshStart: prepares the initial parameters when no checkpoint is restored (a warm
  ///   start), so that a resumed run does not redo work its checkpoint overwrites.
  /// - parameters: the trained parameters, checked to be finite after every epoch.
  /// - beginEpoch: runs before the first draw of each epoch that draws dynamic negatives (their
  ///   scores are refreshed here).
  /// - hardest: with dynamic negatives, the candidate the model scores highest for the user.
  ///
  /// Throws `TrainingError.diverged` as soon as a batch's loss or, after an epoch, a
  /// parameter is not finite, before that epoch's checkpoint is written.
  @discardableResult func run(
    matrix: InteractionMatrix, observer: TrainingObserver?,
    step: (
      _ users: [Int32], _ positives: [Int32], _ negatives: [Int32], _ learningRate: Float, _ drawNext: () -> Void
    ) -> Double,
    validate: () -> Double, keepBest: () -> Void, restoreBest: () -> Void,
    saveState: () -> [Tensor] = { [] }, restoreState: (ModelFile) throws -> Void = { _ in },
    freshStart: () -> Void = {}, parameters: () -> [Matrix], beginEpoch: () -> Void = {},
    hardest: ((_ user: Int32, _ candidates: UnsafeBufferPointer<Int32>) -> Int32)? = nil
  ) throws -> TrainingSummary {
    var sampler = BPRSampler(matrix: matrix, seed: samplerSeed, sampling: sampling)
    var stopping = EarlyStopping(metric: "recall@20", patience: patience)
    var snapshotTaken = false
    var firstEpoch = 1
    var resumedEpoch = 0
    if let checkpoint, checkpoint.resume, FileManager.default.fileExists(atPath: checkpoint.path) {
      let file = try ModelFile.read(from: checkpoint.path)
      guard file.kind == "checkpoint" else {
        throw CheckpointError.mismatch("\(checkpoint.path) is a \(file.kind) model file, not a checkpoint")
      }
      guard file.dataFingerprint == dataFingerprint else {
        throw CheckpointError.mismatch("\(checkpoint.path) was written for other training data")
      }
      for (key, value) in recordedSettings where file.hyperParameters[key] != value {
        throw CheckpointError.mismatch(
          "\(checkpoint.path) was written with \(key) = \(file.hyperParameters[key].map { "\($0)" } ?? "nothing"), not \(value)"
        )
      }
      let n = sampler.count
      try sampler.restore(
        users: file.int32s("sampler/users", shape: [n]), items: file.int32s("sampler/items", shape: [n]),
        generator: file.uint64s("sampler/generator", shape: [4]))
      let m = file.metadata
      stopping = EarlyStopping(
        metric: "recall@20", patience: patience, best: m["best"]?.doubleValue ?? -.infinity,
        bestEpoch: m["best_epoch"]?.intValue ?? 0, runsWithoutImprovement: m["runs_without_improvement"]?.intValue ?? 0)
      snapshotTaken = m["snapshot_taken"]?.boolValue ?? false
      resumedEpoch = m["epoch"]?.intValue ?? 0
      firstEpoch = resumedEpoch + 1
      if m["finished"]?.boolValue == true { firstEpoch = Int.max }
      try restoreState(file)
    } else {
      freshStart()
    }
    func save(epoch: Int, finished: Bool) throws {
      guard let checkpoint else { return }
      let order = sampler.state
      var tensors = saveState()
      tensors.append(Tensor(name: "sampler/users", shape: [order.users.count], int32: order.users))
      tensors.append(Tensor(name: "sampler/items", shape: [order.items.count], int32: order.items))
      tensors.append(Tensor(name: "sampler/generator", shape: [4], uint64: order.generator))
      let metadata: [String: JSONValue] = [
        "epoch": .number(Double(epoch)), "best": stopping.best.isFinite ? .number(stopping.best) : .null,
        "best_epoch": .number(Double(stopping.bestEpoch)),
        "runs_without_improvement": .number(Double(stopping.runsWithoutImprovement)),
        "snapshot_taken": .bool(snapshotTaken), "finished": .bool(finished),
      ]
      try ModelFile(
        kind: "checkpoint", hyperParameters: recordedSettings, dataFingerprint: dataFingerprint, metadata: metadata,
        tensors: tensors
      ).write(to: checkpoint.path)
    }
    let batches = (sampler.count + batchSize - 1) / batchSize
    var candidates = 1
    var batch = Triples()
    var next = Triples()
    func draw(_ b: Int, into triples: inout Triples) {
      sampler.fill(
        (b * batchSize)..<min(sampler.count, (b + 1) * batchSize), users: &triples.users,
        positives: &triples.positives, negatives: &triples.negatives, candidates: candidates,
        choose: hardest)
    }
    let start = Date()
    let lastEpoch = min(max(1, epochs), stopAfter ?? .max)
    var epochsRun = firstEpoch == .max ? resumedEpoch : firstEpoch - 1
    for epoch in firstEpoch..<max(firstEpoch, lastEpoch + 1) {
      epochsRun = epoch
      let epochStart = Date()
      candidates = negatives.candidates(inEpoch: epoch)
      if candidates > 1 { beginEpoch() }
      sampler.shuffle()
      var lossSum = 0.0
      if batches > 0 { draw(0, into: &batch) }
      for b in 0..<batches {
        var drawn = b + 1 == batches
        let progress = (Double(epoch - 1) + Double(b) / Double(batches)) / Double(max(1, epochs))
        let rate = schedule.rate(learningRate, progress: progress)
        let loss = step(batch.users, batch.positives, batch.negatives, rate) {
          guard !drawn else { return }
          draw(b + 1, into: &next)
          drawn = true
        }
        try TrainingError.check(loss: loss, epoch: epoch, batch: b + 1)
        lossSum += loss
        if !drawn { draw(b + 1, into: &next) }
        swap(&batch, &next)
        observer?(
          .batch(
            epoch: epoch, epochs: epochs, batch: b + 1, batches: batches, loss: lossSum / Double(b + 1),
            elapsed: Date().timeIntervalSince(start)))
      }
      observer?(
        .epoch(
          epoch: epoch, epochs: epochs, loss: lossSum / Double(max(batches, 1)),
          seconds: Date().timeIntervalSince(epochStart)))
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
      observer?(.validation(epoch: epoch, metric: "recall@20", value: value, best: stopping.best, improved: improved))
      try save(epoch: epoch, finished: stop)
      if stop {
        observer?(.earlyStop(epoch: epoch, bestEpoch: stopping.bestEpoch))
        break
      }
    }
    if snapshotTaken { restoreBest() }
    return TrainingSummary(
      epochsRun: epochsRun, bestEpoch: snapshotTaken ? stopping.bestEpoch : nil,
      bestValue: snapshotTaken ? stopping.best : nil)
  }
}

/// One batch's BPR triples, reused from batch to batch.
private struct Triples {
  var users: [Int32] = []
  var positives: [Int32] = []
  var negatives: [Int32] = []
}
