import Foundation

/// Where a data set was read from and how it was split, as `DataLoader.load` read it. A model
/// file records it (`TrainedModel`'s `data_options`), so that the split and seed a model was
/// trained with can be loaded again to evaluate it.
public struct DataSource: Sendable {
  /// The file or directory, as an absolute path.
  public var path: String
  /// The options it was loaded with.
  public var options: LoadOptions

  public init(path: String, options: LoadOptions) {
    self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    self.options = options
  }

  /// The record a model file keeps: the path, the format, the split in its command-line
  /// form (`SplitStrategy.description`) and the seed of a random split, the columns and the
  /// duplicate policy that were given.
  public var record: [String: JSONValue] {
    var out: [String: JSONValue] = ["path": .string(path), "format": .string(options.format.rawValue)]
    if let split = options.split {
      out["split"] = .string(split.description)
      if let seed = split.seed { out["data_seed"] = .string(String(seed)) }
    }
    if let column = options.userColumn { out["user_column"] = .string(column) }
    if let column = options.itemColumn { out["item_column"] = .string(column) }
    if let column = options.timeColumn { out["time_column"] = .string(column) }
    if let duplicates = options.duplicates { out["duplicates"] = .string(duplicates.rawValue) }
    return out
  }
}

extension SplitStrategy {
  /// The seed of a random split; nil for the others.
  public var seed: UInt64? {
    switch self {
    case .given, .leaveOneOut: return nil
    case .randomRatio(_, _, let seed), .bySequence(_, _, let seed): return seed
    }
  }
}
