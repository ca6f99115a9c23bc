/// What `ModelRecipe.train` produced: the model, the data it was trained on (the data with
/// its carved validation split, or with validation merged back for a refit) and what training
/// did.
public struct TrainingOutcome {
  /// The trained model, ready to save or serve.
  public var model: any PersistableModel
  /// The data the model was fitted on; its id maps and histories belong in the model file.
  public var trainedOn: Dataset
  /// The validation run's summary (nil for a model not trained in epochs).
  public var summary: TrainingSummary?
  /// With `ModelRecipe.refit`: the epochs of the refit on all the training data.
  public var refitEpochs: Int?

  public init(
    model: any PersistableModel, trainedOn: Dataset, summary: TrainingSummary? = nil, refitEpochs: Int? = nil
  ) {
    self.model = model
    self.trainedOn = trainedOn
    self.summary = summary
    self.refitEpochs = refitEpochs
  }

  /// The summary and the refit's epochs, for `--json` output and the model file's metadata.
  public var json: JSONValue {
    var out = summary?.json.objectValue ?? [:]
    out["refit_epochs"] = refitEpochs.map { .number(Double($0)) } ?? .null
    return .object(out)
  }
}
