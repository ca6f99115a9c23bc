/// How to train one model on a data set: the model's configuration and the policy around its
/// training, in one place for every model kind, so that the command line, an app and the
/// README's Swift example train the same way from the same defaults.
///
/// The policy:
/// - **Validation.** The BPR models (MF-BPR, LightGCN) stop early on validation Recall@20.
///   When the data has no validation items of its own, a seeded `validationShare` of each
///   user's training items is carved out for it (the test items never steer training);
///   with a share of 0 and no validation items, training runs every epoch. The sequential
///   models validate on the data's own split (leave-one-out: each user's second-to-last item),
///   since items are not carved out of a sequence, and run every epoch without one.
/// - **Refit** (BPR models): after the validation run, train again on all the training data
///   (validation items merged back) for the epochs validation chose, on the same learning-rate
///   course (`BPRRecipe.refit(after:)`), and keep that model.
/// - **Warm start**: LightGCN starts from the layer-0 embeddings of a LightGCN checkpoint
///   trained on the same data, mapped by the ITQ rotation when rows train at 1 bit (fitted to the signs the
///   codes keep) and as they are otherwise, unless the warm start names its rotation. A
///   sequential model starts from a model file of the same network trained on the same data
///   (for instance a float model, to quantize its item tables).
/// - **Guards**, before any work: settings that build no model, and runs whose estimated
///   memory exceeds the machine's, are refused (`RecipeError`).
public struct ModelRecipe: Sendable {
  /// The model to train and its configuration.
  public enum Model: Sendable {
    /// Items by training popularity (nothing to train).
    case mostPopular
    case matrixFactorization(MatrixFactorization.Configuration)
    case lightGCN(LightGCN.Configuration)
    case sequential(SequentialConfiguration)
  }

  /// A model to start from: a LightGCN checkpoint and how to map its embeddings, or a
  /// sequential model file.
  public struct WarmStart: Sendable {
    /// The LightGCN checkpoint (its best snapshot is used when it has one), or the
    /// sequential model file.
    public var checkpoint: String
    /// The map to the run's width; nil: ITQ at 1 bit, none otherwise.
    public var rotation: WarmStartRotation?

    public init(checkpoint: String, rotation: WarmStartRotation? = nil) {
      self.checkpoint = checkpoint
      self.rotation = rotation
    }
  }

  public var model: Model
  /// BPR models: the share of each user's training items carved out for validation when the
  /// data has none; 0 carves none.
  public var validationShare = 0.1
  /// Seed of the carved split; nil uses the model's seed.
  public var validationSeed: UInt64? = nil
  /// BPR models: train again on all the training data for the epochs validation chose; nil
  /// takes the model's default (`refits`).
  public var refit: Bool? = nil
  /// The checkpoint (LightGCN) or model file (sequential models) to start from.
  public var warmStart: WarmStart? = nil

  public init(_ model: Model) { self.model = model }

  /// Whether the run refits: `refit` when set, else only a float LightGCN trained from its own
  /// start, whose recipe reaches the published Gowalla accuracy that way (RESULTS.md, issue
  /// 26); fine-tunes and MF-BPR keep their validation model.
  public var refits: Bool {
    if let refit { return refit }
    guard case .lightGCN(let c) = model else { return false }
    return warmStart == nil && c.quantization == nil
  }

  /// Trains the model on `dataset` under the recipe's policy. With `checkpoint`, every epoch
  /// is saved and a run can be resumed (a refit keeps its own, `checkpoint` + `.refit`).
  /// Throws `RecipeError` before any work for settings or a warm start that cannot be used
  /// and for runs too large for the machine; then the trainers' errors
  /// (`TrainingError.diverged`, `CheckpointError.mismatch`).
  public func train(
    on dataset: Dataset, checkpoint: CheckpointOptions? = nil, observer: TrainingObserver? = nil
  ) throws -> TrainingOutcome {
    switch model {
    case .mostPopular:
      return TrainingOutcome(model: MostPop(dataset: dataset), trainedOn: dataset)
    case .matrixFactorization(var c):
      let data = validating(dataset, seed: c.seed, evaluateEvery: &c.evaluateEvery)
      try requireMemory(
        c.estimatedTrainingBytes(
          users: data.userCount, items: data.itemCount, interactions: data.summary.interactions, layers: 0))
      return try trainAndRefit(c, on: data, from: dataset, checkpoint: checkpoint) { data, c, checkpoint in
        let model = try MatrixFactorization.train(
          on: data, configuration: c, checkpoint: checkpoint, observer: observer)
        return (model, model.summary)
      }
    case .lightGCN(var c):
      let data = validating(dataset, seed: c.seed, evaluateEvery: &c.evaluateEvery)
      try requireMemory(
        c.estimatedTrainingBytes(
          users: data.userCount, items: data.itemCount, interactions: data.summary.interactions, layers: c.layers)
          + c.loss.scratchBytes(batchSize: c.batchSize, dim: c.dim))
      if let warmStart {
        c.warmStart = try LightGCN.warmStartEmbeddings(fromCheckpoint: warmStart.checkpoint, dataset: data, dim: c.dim)
        c.warmStartRotation = rotation(for: warmStart, c)
      }
      return try trainAndRefit(c, on: data, from: dataset, checkpoint: checkpoint) { data, c, checkpoint in
        do {
          let model = try LightGCN.train(on: data, configuration: c, checkpoint: checkpoint, observer: observer)
          return (model.deployable(), model.summary)
        } catch let error as FrequencyBlocksError {
          throw RecipeError.settings("\(error)")
        }
      }
    case .sequential(var c):
      if let problem = c.problem ?? c.limitProblem { throw RecipeError.settings(problem) }
      if !dataset.hasValidationItems { c.evaluateEvery = 0 }
      try requireMemory(c.estimatedTrainingBytes(items: dataset.itemCount))
      let start = try warmStart.map { try sequentialWarmStart($0.checkpoint, dataset: dataset) }
      let model: SequentialModel
      do {
        model = try SequentialModel.train(
          on: dataset, configuration: c, warmStart: start, checkpoint: checkpoint, observer: observer)
      } catch let error as FrequencyBlocksError {
        throw RecipeError.settings("\(error)")
      } catch RecipeError.warmStart(_, let reason) {
        throw RecipeError.warmStart(path: warmStart?.checkpoint ?? "", reason: reason)
      }
      return TrainingOutcome(model: model, trainedOn: dataset, summary: model.summary)
    }
  }

  /// The recipe as a JSON object, for `--json` output and the model file's metadata: the
  /// model kind, its configuration (`Codable`) and the policy's settings.
  public var json: JSONValue {
    get throws {
      switch model {
      case .mostPopular: return ["model": "mostpop"]
      case .sequential(let c):
        var out = try JSONValue(encoding: c).objectValue ?? [:]
        out["warm_start"] = warmStart.map { .string($0.checkpoint) } ?? .null
        return .object(out)
      case .matrixFactorization(let c): return try withPolicy(JSONValue(encoding: c), model: "mf-bpr")
      case .lightGCN(var c):
        if let warmStart { c.warmStartRotation = rotation(for: warmStart, c) }
        return try withPolicy(JSONValue(encoding: c), model: "lightgcn")
      }
    }
  }

  /// A BPR model's configuration record with the model's name and the policy's settings.
  private func withPolicy(_ configuration: JSONValue, model: String) -> JSONValue {
    var out = configuration.objectValue ?? [:]
    out["model"] = .string(model)
    out["validation_share"] = .number(validationShare)
    out["validation_seed"] = validationSeed.map { .string(String($0)) } ?? .null
    out["refit"] = .bool(refits)
    out["warm_start"] = warmStart.map { .string($0.checkpoint) } ?? .null
    return .object(out)
  }

  /// The map a warm start uses: its own, else ITQ when any rows train at 1 bit (fitted to the
  /// signs the codes keep) and none otherwise.
  private func rotation(for warmStart: WarmStart, _ c: LightGCN.Configuration) -> WarmStartRotation {
    let narrowest = c.quantization.map { q in q.blocks.map { ($0.bits + $0.userWidths).min()! } ?? q.bits }
    return warmStart.rotation ?? (narrowest == 1 ? .itq : .none)
  }

  /// `dataset` with a carved validation split when early stopping needs one and the data has
  /// none; early stopping is turned off when there is still none (a share of 0).
  private func validating(_ dataset: Dataset, seed: UInt64, evaluateEvery: inout Int) -> Dataset {
    var data = dataset
    if evaluateEvery > 0 && validationShare > 0 && !data.hasValidationItems {
      data = data.carvingValidation(fraction: validationShare, seed: validationSeed ?? seed)
    }
    if !data.hasValidationItems { evaluateEvery = 0 }
    return data
  }

  /// Runs `train` on the validation data and, with `refit`, again on all of `dataset`.
  private func trainAndRefit<C: BPRRecipe>(
    _ c: C, on data: Dataset, from dataset: Dataset, checkpoint: CheckpointOptions?,
    _ train: (Dataset, C, CheckpointOptions?) throws -> (any PersistableModel, TrainingSummary?)
  ) throws -> TrainingOutcome {
    let (model, summary) = try train(data, c, checkpoint)
    // Without a validated stopping point (no validation items) the model has seen everything.
    guard refits, let summary, summary.bestEpoch != nil else {
      return TrainingOutcome(model: model, trainedOn: data, summary: summary)
    }
    let again = c.refit(after: summary)
    let refitCheckpoint = checkpoint.map {
      CheckpointOptions(path: $0.path + ".refit", resume: $0.resume, interval: $0.interval)
    }
    let everything = dataset.mergingValidation()
    let (refitted, _) = try train(everything, again, refitCheckpoint)
    return TrainingOutcome(model: refitted, trainedOn: everything, summary: summary, refitEpochs: again.stopAfter)
  }

  /// The sequential model in the model file at `path`, trained on `dataset`'s data, to
  /// start from.
  private func sequentialWarmStart(_ path: String, dataset: Dataset) throws -> SequentialModel {
    let trained = try TrainedModel.load(from: path)
    guard let model = trained.model as? SequentialModel else {
      throw RecipeError.warmStart(path: path, reason: "is not a sequential model file")
    }
    guard trained.dataFingerprint == dataset.fingerprint() else {
      throw RecipeError.warmStart(path: path, reason: "was trained on other data (or another split)")
    }
    return model
  }

  /// Refuses a run whose estimated peak memory is beyond this machine's.
  private func requireMemory(_ bytes: Double) throws {
    guard bytes > MachineMemory.bytes else { return }
    throw RecipeError.tooLarge(bytes: bytes, available: MachineMemory.bytes)
  }
}
