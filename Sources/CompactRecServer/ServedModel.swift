import CompactRecKit
import Foundation

/// One model in service: an immutable snapshot of a loaded and verified file, with everything
/// a request needs (id maps, histories, search structures). A reload builds a new snapshot
/// beside this one; requests that took this one finish on it.
public final class ServedModel: @unchecked Sendable {
  // @unchecked: every stored property is a `let`, and the model, its indexes and the bundle are
  // only read after `load` returns (the kit's loaded models are safe to search concurrently).

  /// The name in `/v1/models/{name}`.
  public let name: String
  /// The file it was loaded from.
  public let path: String
  /// The loaded bundle.
  public let trained: TrainedModel
  /// The file's size in bytes.
  public let fileBytes: Int
  /// CRC-32 of the whole file, as 8 hex digits: tells two versions of a file apart.
  public let checksum: String
  /// Seconds spent reading, verifying and preparing the model.
  public let loadSeconds: Double
  /// When it was loaded.
  public let loadedAt: Date
  /// The file's stamp when loading began.
  let stamp: FileStamp?
  /// Items by training frequency, most frequent first (empty without stored histories): the
  /// answer of `"fallback": "popular"`.
  let popular: [(item: Int32, count: Int)]
  /// The item-to-item search, nil for models without item vectors.
  let similarItems: SimilarItems?
  /// Sequential models: the batcher that sends concurrent requests through the encoder
  /// together (and the output layer's index, built once); nil for the others, which requests
  /// search directly.
  let batcher: DynamicBatcher?

  /// Loads `source`, verifies it (every tensor's checksum, shapes, finite values) and answers
  /// one request through it, so that a broken file fails here and never in service.
  /// `onBatch` hears the size of every dynamic-batching pass of a sequential model.
  public static func load(
    _ source: ModelSource, batchWait: Duration = .milliseconds(1), onBatch: @escaping @Sendable (Int) -> Void = { _ in }
  ) throws -> ServedModel {
    try ServedModel(source, batchWait: batchWait, onBatch: onBatch)
  }

  private init(_ source: ModelSource, batchWait: Duration, onBatch: @escaping @Sendable (Int) -> Void) throws {
    let start = ContinuousClock.now
    name = source.name
    path = source.path
    // One open and one read: the stamp, the checksum and the model all describe the same
    // bytes, and a file rewritten in place while it loads cannot fault a mapping.
    let (bytes, stamp) = try Self.read(source.path)
    self.stamp = stamp
    fileBytes = bytes.count
    checksum = String(format: "%08x", bytes.withUnsafeBytes { CRC32.checksum($0) })
    trained = try TrainedModel.load(bytes: bytes, path: source.path)
    var counts = [Int](repeating: 0, count: trained.items.count)
    for row in trained.histories { for i in row { counts[Int(i)] += 1 } }
    popular =
      trained.hasHistories
      ? counts.indices.filter { counts[$0] > 0 }.sorted { (counts[$0], -$0) > (counts[$1], -$1) }.map {
        (Int32($0), counts[$0])
      } : []
    similarItems = SimilarItems(model: trained.model)
    let search: DynamicBatcher.Search
    // A loaded model is only read from here on, and its inference is safe on many threads
    // at once (the `Recommender` contract), so the search closures may share it.
    if let loaded = trained.model as? SequentialModel {
      nonisolated(unsafe) let model = loaded
      let index = model.index
      search = { queries, k in index.search(model.finalHidden(queries), k: k, filters: queries.map(\.filter)).rankings }
      batcher = DynamicBatcher(wait: batchWait, onPass: onBatch, search: search)
    } else {
      (trained.model as? MatrixFactorization)?.prepareSearch()
      nonisolated(unsafe) let model = trained.model
      search = { queries, k in model.recommend(queries, k: k) }
      batcher = nil
    }
    loadedAt = Date()
    try Self.verify(trained, search, path: path)
    loadSeconds = (ContinuousClock.now - start).seconds
  }

  /// The whole file, read (not mapped) through one descriptor, with that descriptor's stamp.
  private static func read(_ path: String) throws -> (Data, FileStamp?) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw ModelFileError(
        path: path, reason: FileManager.default.fileExists(atPath: path) ? .io("cannot open the file") : .notFound)
    }
    defer { try? handle.close() }
    let stamp = FileStamp(descriptor: handle.fileDescriptor)
    do {
      return (try handle.readToEnd() ?? Data(), stamp)
    } catch {
      throw ModelFileError(path: path, reason: .io("cannot read the file (\(error.localizedDescription))"))
    }
  }

  /// One search through the model with the search requests use (`search`).
  private static func verify(_ trained: TrainedModel, _ search: DynamicBatcher.Search, path: String) throws {
    guard trained.items.count > 0 else { throw ServerSetupError("model file '\(path)' has no items") }
    let sequential = trained.model is SequentialModel
    let query =
      trained.users.count > 0 && (!sequential || !trained.histories[0].isEmpty)
      ? trained.query(user: 0) : ScoringQuery(user: nil, history: [0])
    let ranking = search([query], 1)[0]
    guard ranking.scores.allSatisfy(\.isFinite) else {
      throw ServerSetupError("model file '\(path)' scores items as NaN or infinity")
    }
  }

  /// The model kind, e.g. `hqgnn`.
  public var kind: String { trained.kind }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    let (s, attoseconds) = components
    return Double(s) + Double(attoseconds) * 1e-18
  }
}
