import CompactRecKit
import Foundation

@testable import CompactRecServer

/// Small real model files of every kind for the server tests, trained once per test process on
/// the built-in synthetic data, in a temporary folder.
enum ServedModels {
  /// The data the models were trained on.
  static let data: Dataset = {
    var generator = SyntheticData()
    generator.users = 200
    generator.items = 120
    generator.meanLength = 10
    return generator.generate()
  }()

  /// The folder holding the files.
  static let folder: String = {
    let path = NSTemporaryDirectory() + "compactrec-server-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  static let mf: String = save("mf", TrainedModel(model: trainedMF, dataset: data))
  static let hqgnn: String = save(
    "hqgnn",
    TrainedModel(
      model: QuantizedEmbeddings(
        users: PackedCodes(quantizing: trainedMF.userEmbedding.value, with: RowQuantizer(bits: 1)),
        items: PackedCodes(quantizing: trainedMF.itemEmbedding.value, with: RowQuantizer(bits: 1)), layers: 0),
      dataset: data))
  /// The MF model's rows at frequency-aware widths: 4 bits for the most frequent half of the
  /// users and items, 1 bit for the rest.
  static let mixed: String = {
    let counts = (
      users: (0..<data.userCount).map(data.trainMatrix().rowLength), items: data.trainMatrix().columnCounts()
    )
    let blocks = WidthBlocks(bits: [4, 1], shares: [0.5, 0.5])
    let codes = { (m: Matrix, counts: [Int]) in
      MixedCodes(quantizing: m, widths: [4, 1], block: try! blocks.blocks(counts: counts, itemCount: data.itemCount))
    }
    return save(
      "mixed",
      TrainedModel(
        model: MixedWidthEmbeddings(
          users: codes(trainedMF.userEmbedding.value, counts.users),
          items: codes(trainedMF.itemEmbedding.value, counts.items), layers: 0),
        dataset: data))
  }()
  static let sasrec: String = save("sasrec", TrainedModel(model: sequential(.sasrec, seed: 1), dataset: data))
  /// A second sequential model of the same data: a different file to reload into.
  static let sasrecOther: String = save(
    "sasrec-other", TrainedModel(model: sequential(.sasrec, seed: 2), dataset: data))
  static let mostpop: String = save("mostpop", TrainedModel(model: MostPop(dataset: data), dataset: data))
  /// The MF model without the users' histories.
  static let mfNoHistory: String = save(
    "mf-nohistory", TrainedModel(model: trainedMF, dataset: data, keepHistories: false))

  private static let trainedMF: MatrixFactorization = {
    var c = MatrixFactorization.Configuration()
    c.dim = 16
    c.epochs = 3
    return try! MatrixFactorization.train(on: data, configuration: c)
  }()

  private static func sequential(_ architecture: SequentialArchitecture, seed: UInt64) -> SequentialModel {
    var c = SequentialConfiguration(architecture: architecture)
    c.dim = 16
    c.maxLength = 12
    c.blocks = 1
    c.heads = 2
    c.epochs = 1
    c.seed = seed
    return try! SequentialModel.train(on: data, configuration: c)
  }

  private static func save(_ name: String, _ model: TrainedModel) -> String {
    let path = folder + "/\(name).crm"
    try! model.save(to: path)
    return path
  }

  /// A copy of `path` under a new name in the folder (for files a test replaces).
  static func copy(_ path: String, as name: String) throws -> String {
    let target = folder + "/\(name)-\(UUID().uuidString).crm"
    try FileManager.default.copyItem(atPath: path, toPath: target)
    return target
  }

  /// Replaces `target` by `source` the way a deployment does: write beside, rename over.
  static func replace(_ target: String, with source: String) throws {
    let temporary = target + ".incoming"
    try? FileManager.default.removeItem(atPath: temporary)
    try FileManager.default.copyItem(atPath: source, toPath: temporary)
    guard rename(temporary, target) == 0 else { throw CocoaError(.fileWriteUnknown) }
  }

  /// Replaces `target` by a damaged copy of `source` (cut short, as by a failed copy),
  /// atomically.
  static func replaceCorrupt(_ target: String, with source: String) throws {
    let whole = try Data(contentsOf: URL(fileURLWithPath: source))
    let bytes = whole.prefix(whole.count * 3 / 5)
    let temporary = target + ".incoming"
    try Data(bytes).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, target) == 0 else { throw CocoaError(.fileWriteUnknown) }
  }
}
