/// The popularity baseline: every user gets the items with the most training interactions.
/// The floor every learned model must clear.
public final class MostPop: Recommender {
  /// Training interaction count per item, as Float scores.
  public let popularity: [Float]

  /// Counts interactions of fitted users in `dataset.train` (repeats included).
  public init(dataset: Dataset) {
    popularity = dataset.trainingCounts().map(Float.init)
  }

  /// A model over given per-item scores (used when loading a model file).
  public init(popularity: [Float]) { self.popularity = popularity }

  public var itemCount: Int { popularity.count }

  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    popularity.withUnsafeBufferPointer { p in
      for r in 0..<queries.count { (scores + r * itemCount).update(from: p.baseAddress!, count: itemCount) }
    }
  }
}

extension MostPop: PersistableModel {
  public static let kind = "mostpop"
  public var hyperParameters: [String: JSONValue] { [:] }
  public func tensors() -> [Tensor] {
    [Tensor(name: "item_popularity", shape: [itemCount], floats: popularity)]
  }
  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    self.init(popularity: try file.floats("item_popularity", shape: [file.itemIDs.count]))
  }
}
