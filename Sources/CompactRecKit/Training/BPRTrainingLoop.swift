import Foundation

/// The epochs of the BPR-trained models (MF-BPR, LightGCN) on the shared `TrainingLoop`: each
/// epoch visits every training interaction once in a seeded random order with a negative
/// (uniform, or the hardest of several candidates), in batches handed to the model's `step`
/// at the scheduled learning rate; validation watches Recall@20. A checkpoint adds the
/// sampler's order and generator to the model's state.
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
  /// Settings a resumed run must share with the checkpoint (`BPRRecipe.checkpointSettings`).
  var settings: [String: JSONValue] = [:]
  /// Fingerprint of the training data, checked on resume.
  var dataFingerprint = ""

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
    var sampler = BPRSampler(matrix: matrix, seed: samplerSeed, sampling: sampling, negatives: negatives)
    let loop = TrainingLoop(
      epochs: epochs, evaluateEvery: evaluateEvery, patience: patience, metric: "recall@20", stopAfter: stopAfter,
      checkpoint: checkpoint, settings: settings, dataFingerprint: dataFingerprint)
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
    return try loop.run(
      observer: observer,
      trainEpoch: { epoch, progress in
        candidates = negatives.candidates(inEpoch: epoch)
        if candidates > 1 { beginEpoch() }
        sampler.shuffle()
        var lossSum = 0.0
        if batches > 0 { draw(0, into: &batch) }
        for b in 0..<batches {
          var drawn = b + 1 == batches
          let progressed = (Double(epoch - 1) + Double(b) / Double(batches)) / Double(max(1, epochs))
          let loss = step(
            batch.users, batch.positives, batch.negatives, schedule.rate(learningRate, progress: progressed)
          ) {
            guard !drawn else { return }
            draw(b + 1, into: &next)
            drawn = true
          }
          try TrainingError.check(loss: loss, epoch: epoch, batch: b + 1)
          lossSum += loss
          if !drawn { draw(b + 1, into: &next) }
          swap(&batch, &next)
          progress(b + 1, batches, lossSum / Double(b + 1))
        }
        return lossSum / Double(max(batches, 1))
      },
      validate: validate, keepBest: keepBest, restoreBest: restoreBest,
      saveState: {
        let order = sampler.state
        return saveState() + [
          Tensor(name: "sampler/users", shape: [order.users.count], int32: order.users),
          Tensor(name: "sampler/items", shape: [order.items.count], int32: order.items),
          Tensor(name: "sampler/generator", shape: [4], uint64: order.generator),
        ]
      },
      restoreState: { file in
        let n = sampler.count
        try sampler.restore(
          users: file.int32s("sampler/users", shape: [n]), items: file.int32s("sampler/items", shape: [n]),
          generator: file.uint64s("sampler/generator", shape: [4]))
        try restoreState(file)
      },
      freshStart: freshStart, parameters: parameters)
  }
}

/// One batch's BPR triples, reused from batch to batch.
private struct Triples {
  var users: [Int32] = []
  var positives: [Int32] = []
  var negatives: [Int32] = []
}
