import Foundation

/// A model that can be written to and read back from a `.crm` model file.
public protocol PersistableModel: Recommender {
  /// The `kind` string in the file header, e.g. `mf-bpr`.
  static var kind: String { get }
  /// Hyper-parameters recorded in the header (for `inspect` and reproducibility).
  var hyperParameters: [String: JSONValue] { get }
  /// The model's parameters as named tensors. Names may carry a component prefix before a
  /// `/` (e.g. `input/item_embedding`), which `inspect` uses to group sizes.
  func tensors() -> [Tensor]
  /// Rebuilds the model from a file of its kind.
  init(file: ModelFile) throws
  /// Names of tensors that hold model state but no parameters (a block-wise model's item
  /// order): counted in bytes, not in `parameterCount`. Empty by default.
  static var stateTensorNames: Set<String> { get }
  /// The parameters a tensor of a file of this kind holds, so that every kind counts them
  /// the same way: a float is one, and so is a code (a quantized weight, whatever its bits)
  /// and a step; state tensors hold none. By default the tensor's elements, but none for
  /// `stateTensorNames`; kinds that store codes count the weights they stand for.
  static func parameters(inTensor name: String, shape: [Int], hyperParameters: [String: JSONValue]) -> Int
}

extension PersistableModel {
  public static var stateTensorNames: Set<String> { [] }

  public static func parameters(inTensor name: String, shape: [Int], hyperParameters: [String: JSONValue]) -> Int {
    stateTensorNames.contains(name) ? 0 : shape.reduce(1, *)
  }

  /// The number of parameters (`parameters(inTensor:shape:hyperParameters:)` over every
  /// tensor): the one count `train`, `inspect` and `demo` report.
  public var parameterCount: Int {
    tensors().reduce(0) { $0 + Self.parameters(inTensor: $1.name, shape: $1.shape, hyperParameters: hyperParameters) }
  }
}

/// The model kinds this build can read, by their header `kind`: the kit's own, and any that
/// another package registers, so that an app can add a model kind of its own and still load,
/// evaluate, serve and inspect its files through `TrainedModel`.
public enum ModelRegistry {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var registered: [any PersistableModel.Type] = [
    MostPop.self, MatrixFactorization.self, LightGCNEmbeddings.self, QuantizedEmbeddings.self,
    MixedWidthEmbeddings.self,
    SequentialModel.self,
  ]

  /// Every persistable model type, the kit's first.
  public static var types: [any PersistableModel.Type] { lock.withLock { registered } }

  /// Adds a model type, or replaces the one registered for the same `kind`. Register before
  /// loading files of that kind; safe from any thread.
  public static func register(_ type: any PersistableModel.Type) {
    lock.withLock {
      if let i = registered.firstIndex(where: { $0.kind == type.kind }) {
        registered[i] = type
      } else {
        registered.append(type)
      }
    }
  }

  /// The type for a header kind, if this build knows it.
  public static func type(forKind kind: String) -> (any PersistableModel.Type)? {
    types.first { $0.kind == kind }
  }
}

/// A trained model together with what it needs to answer requests in original ids: the user
/// and item id maps and each user's seen items (excluded from recommendations).
///
/// This is what a `.crm` file holds and what `recommend`, `evaluate` and serving load.
public final class TrainedModel {
  /// The model.
  public let model: any PersistableModel
  /// Original user ids.
  public let users: IDMap
  /// Original item ids.
  public let items: IDMap
  /// Per user, the items known before test (train and validation), sorted.
  public let seen: InteractionMatrix
  /// The same items per user in their original order, oldest first, repeats kept: the
  /// history a sequential model reads.
  public let histories: [[Int32]]
  /// Fingerprint of the training data (see `Dataset.fingerprint`).
  public let dataFingerprint: String
  /// Free-form facts about training (seconds, epochs, seed, data path).
  public var metadata: [String: JSONValue]
  /// Whether the bundle keeps each user's history. Without (`train --history none`, metadata
  /// `"history": "none"`) the file is the model and its id maps alone: `histories` and `seen`
  /// are empty, so requests must bring their own exclusions, and a sequential model its
  /// sequences.
  public let hasHistories: Bool

  /// Bundles a model trained on `dataset`, with the users' histories unless `keepHistories` is
  /// false. The metadata records where the data came from and how it was split
  /// (`data_options`, `DataSource.record`) when `dataset` was loaded from files.
  public convenience init(
    model: any PersistableModel, dataset: Dataset, metadata: [String: JSONValue] = [:], keepHistories: Bool = true
  ) {
    var metadata = metadata
    if !keepHistories { metadata["history"] = .string("none") }
    if metadata["data_options"] == nil, let source = dataset.source {
      metadata["data_options"] = .object(source.record)
    }
    self.init(
      model: model, users: dataset.users, items: dataset.items,
      histories: keepHistories ? dataset.historyBeforeTest() : Array(repeating: [], count: dataset.userCount),
      dataFingerprint: dataset.fingerprint(), metadata: metadata, hasHistories: keepHistories)
  }

  private init(
    model: any PersistableModel, users: IDMap, items: IDMap, histories: [[Int32]],
    dataFingerprint: String, metadata: [String: JSONValue], hasHistories: Bool
  ) {
    self.model = model
    self.users = users
    self.items = items
    self.histories = histories
    seen = InteractionMatrix(rows: histories, columnCount: items.count)
    self.dataFingerprint = dataFingerprint
    self.metadata = metadata
    self.hasHistories = hasHistories
  }

  /// This bundle without the users' histories, as `train --history none` saves it.
  public func withoutHistories() -> TrainedModel {
    var metadata = metadata
    metadata["history"] = .string("none")
    return TrainedModel(
      model: model, users: users, items: items, histories: Array(repeating: [], count: users.count),
      dataFingerprint: dataFingerprint, metadata: metadata, hasHistories: false)
  }

  /// The model kind, e.g. `mf-bpr`.
  public var kind: String { type(of: model).kind }

  /// Writes the model file atomically (temp file, fsync, rename).
  public func save(to path: String) throws {
    var tensors = model.tensors()
    if hasHistories {
      let history = HistoryCoding.encode(histories)
      tensors.append(Tensor(name: "history/rice", shape: [history.count], uint8: history))
    }
    let file = ModelFile(
      kind: kind, hyperParameters: model.hyperParameters, dataFingerprint: dataFingerprint,
      userIDs: users.ids, itemIDs: items.ids, metadata: metadata, tensors: tensors)
    try file.write(to: path)
  }

  /// Reads a model file; refuses unknown kinds, damaged files and inconsistent shapes.
  public static func load(from path: String) throws -> TrainedModel {
    try load(try ModelFile.read(from: path), path: path)
  }

  /// Loads a model file already read into `bytes` (`path` names it in errors); refuses what
  /// `load(from:)` refuses.
  public static func load(bytes: Data, path: String) throws -> TrainedModel {
    try load(try ModelFile.read(bytes: bytes, path: path), path: path)
  }

  private static func load(_ file: ModelFile, path: String) throws -> TrainedModel {
    guard let type = ModelRegistry.type(forKind: file.kind) else {
      throw ModelFileError(
        path: path,
        reason: .invalidHeader(
          "unknown model kind '\(file.kind)' (this build reads: \(ModelRegistry.types.map { $0.kind }.joined(separator: ", ")))"
        ))
    }
    if let tensor = file.tensors.first(where: \.containsNonFinite) {
      throw ModelFileError(
        path: path,
        reason: .invalidHeader(
          "tensor '\(tensor.name)' holds NaN or infinite values (written by a training run that diverged?)"))
    }
    let model = try type.init(file: file)
    let hasHistories = file.metadata["history"] != .string("none")
    let rows = hasHistories ? try storedHistories(file, path: path) : Array(repeating: [], count: file.userIDs.count)
    return TrainedModel(
      model: model, users: IDMap(ids: file.userIDs), items: IDMap(ids: file.itemIDs),
      histories: rows, dataFingerprint: file.dataFingerprint, metadata: file.metadata, hasHistories: hasHistories)
  }

  /// The best `k` items for a known user (original id), seen items excluded, under `filter`'s
  /// allow- and deny-lists (dense item indices, from `itemIndices`).
  /// Throws `RecommendationError.unknownUser` for an id not in training.
  /// The users' histories of a model file: `history/rice` (`HistoryCoding`), or the int32
  /// items and offsets of files written before it.
  private static func storedHistories(_ file: ModelFile, path: String) throws -> [[Int32]] {
    let users = file.userIDs.count
    let items = file.itemIDs.count
    if file.tensors.contains(where: { $0.name == "history/rice" }) {
      switch HistoryCoding.decode(try file.tensor("history/rice").uint8s(), users: users, items: items) {
      case .success(let rows): return rows
      case .failure(let failure):
        throw ModelFileError(path: path, reason: .invalidHeader("history/rice: \(failure)"))
      }
    }
    let offsets = try file.tensor("history/offsets").uint64s().map { Int(exactly: $0) ?? -1 }
    let columns = try file.tensor("history/items").int32s()
    guard offsets.allSatisfy({ $0 >= 0 }), offsets.count == users + 1, offsets.first == 0,
      offsets.last == columns.count,
      zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
      columns.allSatisfy({ $0 >= 0 && Int($0) < items })
    else {
      throw ModelFileError(path: path, reason: .invalidHeader("history tensors are inconsistent"))
    }
    return (0..<users).map { Array(columns[offsets[$0]..<offsets[$0 + 1]]) }
  }

  public func recommend(user id: String, k: Int, filter: ItemFilter = ItemFilter()) throws -> [(
    item: String, score: Float
  )] {
    guard let u = users.index(of: id) else { throw RecommendationError.unknownUser(id) }
    return named(model.recommend([query(user: u, filter: filter)], k: k)[0])
  }

  /// The best `k` items after a history of original item ids (oldest first), which are
  /// excluded, under `filter`. Unknown items throw `RecommendationError.unknownItem`.
  public func recommend(history ids: [String], k: Int, filter: ItemFilter = ItemFilter()) throws -> [(
    item: String, score: Float
  )] {
    let history = try itemIndices(ids)
    let query = ScoringQuery(user: nil, history: history, filter: filter.excluding(history))
    return named(model.recommend([query], k: k)[0])
  }

  /// The query of known user `u`: its stored history (what sequential models read), its seen
  /// items and `filter`'s excluded items left out, only `filter`'s allowed items when it has
  /// an allow-list.
  public func query(user u: Int32, filter: ItemFilter = ItemFilter()) -> ScoringQuery {
    ScoringQuery(user: u, history: histories[Int(u)], filter: filter.excluding(Array(seen.row(Int(u)))))
  }

  /// Dense indices of original item ids; an unknown id throws `RecommendationError.unknownItem`.
  public func itemIndices(_ ids: [String]) throws -> [Int32] {
    try ids.map { id in
      guard let i = items.index(of: id) else { throw RecommendationError.unknownItem(id) }
      return i
    }
  }

  /// The ranking with original item ids.
  public func named(_ r: Ranking) -> [(item: String, score: Float)] {
    zip(r.items, r.scores).map { (items[$0.0], $0.1) }
  }
}

/// Errors of a recommendation request, in the caller's terms.
public enum RecommendationError: Error, CustomStringConvertible, Equatable {
  case unknownUser(String)
  case unknownItem(String)

  public var description: String {
    switch self {
    case .unknownUser(let id): return "unknown user '\(id)': not in the model's training data"
    case .unknownItem(let id): return "unknown item '\(id)': not in the model's training data"
    }
  }
}
