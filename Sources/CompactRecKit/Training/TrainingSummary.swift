/// What a training run did: how many epochs it ran and, when it validated, which epoch was
/// best and by how much. Tools report it, and a refit reads its stopping point from it.
public struct TrainingSummary: Sendable, Equatable {
  /// The last epoch trained (the epochs before it included, on a resumed run too).
  public var epochsRun: Int
  /// The epoch whose parameters were kept, when the run validated; nil otherwise.
  public var bestEpoch: Int?
  /// The validation figure of `bestEpoch`.
  public var bestValue: Double?
  /// The validation metric, e.g. `recall@20`.
  public var metric: String

  public init(epochsRun: Int, bestEpoch: Int? = nil, bestValue: Double? = nil, metric: String = "recall@20") {
    self.epochsRun = epochsRun
    self.bestEpoch = bestEpoch
    self.bestValue = bestValue
    self.metric = metric
  }

  /// The summary as a JSON object, for `--json` output and model-file metadata.
  public var json: JSONValue {
    .object([
      "epochs_run": .number(Double(epochsRun)), "best_epoch": bestEpoch.map { .number(Double($0)) } ?? .null,
      "best_validation": bestValue.map { .number($0) } ?? .null, "metric": .string(metric),
    ])
  }

  /// The summary `json` wrote (in a model file's `training` metadata, for instance); nil when
  /// `json` holds no epoch count.
  public init?(json: JSONValue) {
    guard let object = json.objectValue, let epochsRun = object["epochs_run"]?.intValue else { return nil }
    self.init(
      epochsRun: epochsRun, bestEpoch: object["best_epoch"]?.intValue,
      bestValue: object["best_validation"]?.doubleValue,
      metric: object["metric"]?.stringValue ?? "recall@20")
  }
}

extension BPRRecipe {
  /// The configuration that refits this one on all the training data: the same settings and
  /// learning-rate course, no validation, stopped after the epoch that `summary`'s validation
  /// chose (or after as many epochs as it ran, when it chose none).
  public func refit(after summary: TrainingSummary) -> Self {
    var c = self
    c.evaluateEvery = 0
    c.stopAfter = summary.bestEpoch ?? summary.epochsRun
    return c
  }
}
