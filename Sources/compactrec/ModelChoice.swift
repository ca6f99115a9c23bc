import ArgumentParser
import CompactRecKit

/// The trainable models and their shared hyper-parameter options.
enum ModelChoice: String, CaseIterable, ExpressibleByArgument {
  case mostpop
  case mfBPR = "mf-bpr"
  case lightgcn
  case nextitnet
  case gru4rec
  case sasrec

  init?(argument: String) {
    switch argument.lowercased() {
    case "mostpop", "pop": self = .mostpop
    case "mf-bpr", "mf", "bpr", "mfbpr": self = .mfBPR
    case "lightgcn", "lgcn": self = .lightgcn
    case "nextitnet": self = .nextitnet
    case "gru4rec", "gru": self = .gru4rec
    case "sasrec": self = .sasrec
    default: return nil
    }
  }

  /// Whether training writes checkpoints and can resume (every trained model).
  var checkpoints: Bool { self != .mostpop }

  /// The sequence encoder, for the sequential models.
  var architecture: SequentialArchitecture? { SequentialArchitecture(rawValue: rawValue) }

  static var allValueStrings: [String] { allCases.map(\.rawValue) }

}

/// Trains `choice` on `dataset` with the recipe `options` ask for (`TrainingOptions.recipe`).
func trainModel(
  _ choice: ModelChoice, on dataset: Dataset, options: TrainingOptions, checkpoint: CheckpointOptions? = nil,
  observer: TrainingObserver?
) throws -> TrainingOutcome {
  try train(options.recipe(for: choice), on: dataset, checkpoint: checkpoint, observer: observer)
}

/// Trains `recipe` on `dataset`; what the recipe refuses up front (settings, a warm start, a
/// run too large for the machine) is a usage error, worded with the command line's flags.
func train(
  _ recipe: ModelRecipe, on dataset: Dataset, checkpoint: CheckpointOptions? = nil, observer: TrainingObserver?
) throws -> TrainingOutcome {
  do {
    return try recipe.train(on: dataset, checkpoint: checkpoint, observer: observer)
  } catch let error as RecipeError {
    throw UsageFailure(commandLineMessage(error))
  }
}

extension PropagationPrecision: ExpressibleByArgument {}
extension WarmStartRotation: ExpressibleByArgument {}

extension GraphLoss: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

/// `--loss`: a sequential model's loss (`softmax`, `bce`) or LightGCN's (`bpr`, `softmax:N:T[:dot]`);
/// which one applies is checked against the model.
struct LossOption: ExpressibleByArgument {
  let text: String
  var sequential: SequentialLoss? { SequentialLoss(rawValue: text) }
  var graph: GraphLoss? { GraphLoss(text) }

  init?(argument: String) {
    text = argument
    guard sequential != nil || graph != nil else { return nil }
  }
}

extension PositiveSampling: ExpressibleByArgument {}
extension SequentialArchitecture: ExpressibleByArgument {}

extension LearningRateSchedule: ExpressibleByArgument {}

extension NegativeSampling: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
  public var defaultValueDescription: String { description }
}

/// The `--init` values.
enum InitializationChoice: String, ExpressibleByArgument, CaseIterable {
  case gaussian
  case spectral
}

/// The `--estimator` values.
enum EstimatorChoice: String, ExpressibleByArgument, CaseIterable {
  case ste
  case gste
}
