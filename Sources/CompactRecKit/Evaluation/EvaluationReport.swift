/// Which held-out list a model is measured against.
public enum EvaluationTarget: String, Sendable {
  /// The validation items, with train items as history: for model selection.
  case validation
  /// The test items, with train and validation items as history: for reported figures.
  case test
}

/// The outcome of one evaluation run.
public struct EvaluationReport: Sendable {
  /// `metric@K -> mean over evaluated users`, e.g. `recall@20`.
  public var metrics: [String: Double]
  /// Users (or sampled targets) that were scored.
  public var evaluatedUsers: Int
  /// Users without held-out items, left out of the means.
  public var skippedUsers: Int
  /// Wall time of the evaluation.
  public var seconds: Double
  /// `full` or `sampled-N`.
  public var protocolName: String

  public init(
    metrics: [String: Double], evaluatedUsers: Int, skippedUsers: Int, seconds: Double,
    protocolName: String
  ) {
    self.metrics = metrics
    self.evaluatedUsers = evaluatedUsers
    self.skippedUsers = skippedUsers
    self.seconds = seconds
    self.protocolName = protocolName
  }
}

extension Dataset {
  /// Per user, the history a model sees and the held-out items it is measured against.
  func evaluationCases(target: EvaluationTarget) -> (history: [[Int32]], relevant: [[Int32]]) {
    switch target {
    case .validation: return (train, validation)
    case .test: return (historyBeforeTest(), test)
    }
  }
}
