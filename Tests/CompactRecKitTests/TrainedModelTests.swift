import Foundation
import Testing

@testable import CompactRecKit

@Suite("TrainedModel")
struct TrainedModelTests {
  private func tinyData() -> Dataset {
    Dataset(
      name: "t", users: IDMap(ids: ["alice", "bob"]), items: IDMap(ids: ["x", "y", "z"]),
      train: [[0], [1, 2]], test: [[1], [0]])
  }

  @Test("an MF model round-trips through a .crm file and recommends in original ids")
  func roundTrip() throws {
    let data = tinyData()
    let mf = MatrixFactorization(
      userEmbedding: Matrix(rows: 2, cols: 2, storage: [1, 0, 0, 1]),
      itemEmbedding: Matrix(rows: 3, cols: 2, storage: [3, 0, 2, 1, 1, 5]))
    let path = NSTemporaryDirectory() + "crm-\(UUID().uuidString).crm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try TrainedModel(model: mf, dataset: data).save(to: path)
    let loaded = try TrainedModel.load(from: path)
    #expect(loaded.kind == "mf-bpr")
    let back = try #require(loaded.model as? MatrixFactorization)
    #expect(back.itemEmbedding.value == mf.itemEmbedding.value)
    #expect(back.userEmbedding.value == mf.userEmbedding.value)
    // alice saw x: y (score 2) then z (1). bob saw y, z: only x remains.
    #expect(try loaded.recommend(user: "alice", k: 5).map(\.item) == ["y", "z"])
    #expect(try loaded.recommend(user: "bob", k: 5).map(\.item) == ["x"])
    #expect(throws: RecommendationError.unknownUser("carol")) { try loaded.recommend(user: "carol", k: 1) }
    #expect(throws: RecommendationError.unknownItem("w")) { try loaded.recommend(history: ["w"], k: 1) }
  }

  @Test("a LightGCN model is saved as its final embeddings and scores the same after loading")
  func lightGCNRoundTrip() throws {
    let data = tinyData()
    let model = try #require(
      LightGCN(matrix: data.trainMatrix(), dim: 4, weights: [0.5, 0.5], initStd: 0.3, seed: 1).deployable()
        as? LightGCNEmbeddings)
    let path = NSTemporaryDirectory() + "crm-\(UUID().uuidString).crm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try TrainedModel(model: model, dataset: data).save(to: path)
    let loaded = try TrainedModel.load(from: path)
    #expect(loaded.kind == "lightgcn")
    let back = try #require(loaded.model as? LightGCNEmbeddings)
    #expect(back.layers == 1)
    #expect(back.scorer.itemEmbedding.value == model.scorer.itemEmbedding.value)
    #expect(back.scorer.userEmbedding.value == model.scorer.userEmbedding.value)
  }

  @Test("a model file records where its data came from and the split and seed it was trained with")
  func recordsDataSource() throws {
    let folder = DataTestFolder()
    var lines = "user,item\n"
    for u in 0..<20 { for t in 0..<5 { lines += "u\(u),i\((u + t * 3) % 12)\n" } }
    let log = folder.write("log.csv", lines)
    let split = try SplitStrategy(parsing: "ratio:0.2", seed: 7)
    let data = try DataLoader.load(path: log, options: LoadOptions(split: split))
    let path = folder.path + "/pop.crm"
    try TrainedModel(model: MostPop(dataset: data), dataset: data).save(to: path)
    let recorded = try #require(ModelFile.read(from: path).metadata["data_options"]?.objectValue)
    #expect(recorded["split"] == "ratio:0.2" && recorded["data_seed"] == "7" && recorded["format"] == "auto")
    #expect(recorded["path"] == .string(URL(fileURLWithPath: log).standardizedFileURL.path))
    // The record loads the same split again.
    let again = try DataLoader.load(
      path: try #require(recorded["path"]?.stringValue),
      options: LoadOptions(
        split: SplitStrategy(
          parsing: try #require(recorded["split"]?.stringValue),
          seed: try #require(recorded["data_seed"]?.stringValue.flatMap { UInt64($0) }))))
    #expect(again.fingerprint() == data.fingerprint())
  }

  @Test("MostPop round-trips and an unknown kind is refused")
  func mostPopAndUnknownKind() throws {
    let data = tinyData()
    let path = NSTemporaryDirectory() + "crm-\(UUID().uuidString).crm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try TrainedModel(model: MostPop(dataset: data), dataset: data).save(to: path)
    let loaded = try TrainedModel.load(from: path)
    #expect((loaded.model as? MostPop)?.popularity == [1, 1, 1])
    let file = try ModelFile.read(from: path)
    let alien = ModelFile(
      kind: "alien", hyperParameters: [:], dataFingerprint: "", userIDs: file.userIDs, itemIDs: file.itemIDs,
      metadata: [:], tensors: file.tensors)
    try alien.write(to: path)
    #expect(throws: ModelFileError.self) { try TrainedModel.load(from: path) }
  }

  @Test("another package's model kind loads once it is registered")
  func registeredKind() throws {
    let data = tinyData()
    let path = NSTemporaryDirectory() + "crm-\(UUID().uuidString).crm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try TrainedModel(model: ReversedOrder(itemCount: 3), dataset: data).save(to: path)
    #expect(throws: ModelFileError.self) { try TrainedModel.load(from: path) }
    ModelRegistry.register(ReversedOrder.self)
    let loaded = try TrainedModel.load(from: path)
    #expect(loaded.kind == "test-reversed-order")
    #expect(try loaded.recommend(user: "alice", k: 2).map(\.item) == ["z", "y"])  // x is seen
    #expect(
      ModelRegistry.types.prefix(6).map { $0.kind } == [
        "mostpop", "mf-bpr", "lightgcn", "hqgnn", "hqgnn-mixed", "sequential",
      ])
  }
}

extension TrainedModelTests {
  @Test(
    "parameterCount counts each distinct parameter once and no state tensor",
    arguments: ["nextitnet", "nextitnet/both/cross-layer", "sasrec/both/cross-layer", "gru4rec/input", "sasrec/tied"])
  func parameterCounts(variant: String) {
    let model = SequentialModelTests.model(variant, items: 7, width: 4, length: 5, seed: 3)
    var seen = Set<ObjectIdentifier>()
    let distinct = model.parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
    #expect(model.parameterCount == distinct.reduce(0) { $0 + $1.value.rows * $1.value.cols })
    let hasOrder = model.tensors().contains { $0.name == SequentialModel.blockOrderTensor }
    #expect(hasOrder == variant.contains("/both") || variant.contains("/input"))
  }
}

/// A model kind defined outside the kit: later items score higher.
private final class ReversedOrder: PersistableModel {
  static let kind = "test-reversed-order"
  let itemCount: Int
  init(itemCount: Int) { self.itemCount = itemCount }
  var hyperParameters: [String: JSONValue] { ["items": .number(Double(itemCount))] }
  func tensors() -> [Tensor] { [Tensor(name: "order", shape: [itemCount], floats: (0..<itemCount).map(Float.init))] }
  convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    self.init(itemCount: try file.floats("order", shape: [file.itemIDs.count]).count)
  }
  func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    for r in 0..<queries.count { for i in 0..<itemCount { scores[r * itemCount + i] = Float(i) } }
  }
}
