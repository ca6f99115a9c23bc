import Foundation
import Testing

@testable import CompactRecKit

/// `compactrec export`: the NumPy and FAISS byte layouts against hand-assembled bytes, and the
/// files read by NumPy and FAISS themselves (Tests/Interop/check_export.py), whose top-20
/// must equal the model's.
@Suite("Export", .serialized)
struct ExportTests {
  @Test("a .npy header is NumPy's 1.0 layout: magic, version, length, padded dict, data at 64 bytes")
  func numpyHeader() throws {
    let header = NumpyFile.header(descr: "<f4", shape: [2, 3])
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    #expect(header.count == 128)  // 10 + 60 + 1 bytes, rounded up to 64
    #expect(Array(header[0..<10]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
    #expect(String(decoding: header[10..<(10 + dict.utf8.count)], as: UTF8.self) == dict)
    #expect(header.last == 0x0A && header[(10 + dict.utf8.count)..<127].allSatisfy { $0 == 0x20 })
    let vector = NumpyFile.header(descr: "|u1", shape: [5])
    #expect(
      String(decoding: vector[10...], as: UTF8.self).hasPrefix(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }"))
    let folder = DataTestFolder()
    try NumpyFile.write(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3], to: folder.path + "/a.npy")
    let bytes = try #require(FileManager.default.contents(atPath: folder.path + "/a.npy"))
    #expect(bytes.count == 128 + 24 && Array(bytes[128..<132]) == [0, 0, 0x80, 0x3F])  // 1.0f
  }

  @Test("FAISS IndexIDMap(IndexFlatIP) and IndexBinaryIDMap(IndexBinaryFlat) bytes, assembled by hand")
  func faissLayout() throws {
    let folder = DataTestFolder()
    try FaissIndexFile.writeFlatInnerProduct(
      Matrix(rows: 2, cols: 1, storage: [1, 2]), ids: [0, 1], to: folder.path + "/f.faiss")
    var expected = LittleEndianBytes()
    for fourcc in ["IxMp", "IxFI"] {
      expected.fourcc(fourcc)
      expected.append(Int32(1))  // d
      expected.append(Int64(2))  // ntotal
      expected.append(Int64(1 << 20))
      expected.append(Int64(1 << 20))
      expected.bytes.append(1)  // is_trained
      expected.append(Int32(0))  // inner product
    }
    expected.append(UInt64(2))
    expected.append(Float(1).bitPattern)
    expected.append(Float(2).bitPattern)
    expected.append(UInt64(2))
    expected.append(Int64(0))
    expected.append(Int64(1))
    #expect(FileManager.default.contents(atPath: folder.path + "/f.faiss") == Data(expected.bytes))

    try FaissIndexFile.writeBinaryFlat(
      codes: [0xA5, 0x0F], bytesPerCode: 1, dim: 8, ids: [0, 1], to: folder.path + "/b.faiss")
    var binary = LittleEndianBytes()
    for fourcc in ["IBMp", "IBxF"] {
      binary.fourcc(fourcc)
      binary.append(Int32(8))  // d in bits
      binary.append(Int32(1))  // code size
      binary.append(Int64(2))  // ntotal
      binary.bytes.append(1)
      binary.append(Int32(1))  // metric as IndexBinary records it
    }
    binary.append(UInt64(2))
    binary.bytes += [0xA5, 0x0F]
    binary.append(UInt64(2))
    binary.append(Int64(0))
    binary.append(Int64(1))
    #expect(FileManager.default.contents(atPath: folder.path + "/b.faiss") == Data(binary.bytes))
  }

  @Test("items.tsv escapes tabs, newlines and backslashes in ids")
  func tsvEscaping() {
    #expect(ExportDirectory.tsv(["a", "b\tc", "d\\e\nf"]) == "0\ta\n1\tb\\tc\n2\td\\\\e\\nf\n")
  }

  @Test("an export refuses MostPop and a directory holding other files")
  func refusals() throws {
    let folder = DataTestFolder()
    let data = smallData()
    let path = folder.path + "/pop.crm"
    try TrainedModel(model: MostPop(dataset: data), dataset: data).save(to: path)
    #expect(throws: ExportError.unsupported(kind: "mostpop")) { try EmbeddingExport(TrainedModel.load(from: path)) }
    let mf = folder.path + "/mf.crm"
    var c = MatrixFactorization.Configuration()
    c.epochs = 1
    try TrainedModel(model: MatrixFactorization.train(on: data, configuration: c), dataset: data).save(to: mf)
    let model = try TrainedModel.load(from: mf)
    #expect(throws: OutputPathError(path: folder.path, option: "export directory", reason: .notAnExport)) {
      try ExportDirectory.write(EmbeddingExport(model), of: model, source: mf, format: .numpy, to: folder.path)
    }
    // An earlier export is replaced.
    let out = folder.path + "/export"
    try ExportDirectory.write(EmbeddingExport(model), of: model, source: mf, format: .numpy, to: out)
    try ExportDirectory.write(EmbeddingExport(model), of: model, source: mf, format: .numpy, to: out)
  }

  private func smallData() -> Dataset { SyntheticData.small(users: 300, items: 200, meanLength: 12) }

  /// A Python with faiss and numpy: $COMPACTREC_PYTHON, else a virtual environment under
  /// .build/interop-venv made (once) with pip; nil with a printed reason when none can be had.
  static let python: String? = {
    if let given = ProcessInfo.processInfo.environment["COMPACTREC_PYTHON"] { return given }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let venv = root.appendingPathComponent(".build/interop-venv").path
    let python = venv + "/bin/python"
    func works() -> Bool { (try? CompactRecTool.runProcess(python, ["-c", "import faiss, numpy"]))?.status == 0 }
    if works() { return python }
    let made = try? CompactRecTool.runProcess("/usr/bin/env", ["python3", "-m", "venv", venv])
    let installed =
      made?.status == 0
      ? try? CompactRecTool.runProcess(venv + "/bin/pip", ["install", "-q", "faiss-cpu", "numpy"]) : nil
    if installed?.status == 0 && works() { return python }
    print(
      "skipping the FAISS/NumPy interop test: no Python with faiss-cpu and numpy (set COMPACTREC_PYTHON, or allow pip)")
    return nil
  }()

  @Test(
    "FAISS and NumPy read every exported file, byte-identical to their own, and FAISS's top-20 equals the model's",
    .enabled(if: python != nil && CompactRecTool.path != nil))
  func interop() throws {
    let folder = DataTestFolder()
    let data = smallData()
    var mf = MatrixFactorization.Configuration()
    mf.epochs = 5
    var lightgcn = LightGCN.Configuration()
    lightgcn.epochs = 3
    lightgcn.dim = 32
    var sequential = SequentialConfiguration(architecture: .nextitnet)
    sequential.dim = 16
    sequential.epochs = 1
    sequential.evaluateEvery = 0
    sequential.dilations = [1, 2]
    var adaptive = sequential
    adaptive.blockwise = .both
    let models: [(String, () throws -> any PersistableModel)] = [
      ("mf-bpr", { try MatrixFactorization.train(on: data, configuration: mf) }),
      ("lightgcn", { try LightGCN.train(on: data, configuration: lightgcn).deployable() }),
      (
        "hqgnn-4bit",
        {
          var c = lightgcn
          c.quantization = QuantizationSettings(bits: 4)
          return try LightGCN.train(on: data, configuration: c).deployable()
        }
      ),
      (
        "hqgnn-1bit",
        {
          var c = lightgcn
          c.quantization = QuantizationSettings(bits: 1)
          return try LightGCN.train(on: data, configuration: c).deployable()
        }
      ),
      ("nextitnet", { try SequentialModel.train(on: data, configuration: sequential) }),
      ("nextitnet-adaptive-softmax", { try SequentialModel.train(on: data, configuration: adaptive) }),
    ]
    var cases: [JSONValue] = []
    for (name, train) in models {
      let path = folder.path + "/\(name).crm"
      try TrainedModel(model: try train(), dataset: data).save(to: path)
      let model = try TrainedModel.load(from: path)
      for format in ["numpy", "faiss"] {
        let exported = try CompactRecTool.run([
          "export", path, "--format", format, "--out", folder.path + "/\(name)-\(format)",
        ])
        #expect(exported.status == 0, "\(exported.err)")
      }
      // 200 users: the model's own top-20, as `compactrec recommend --user` computes it.
      let users = Array(stride(from: 0, to: data.userCount, by: max(1, data.userCount / 200)).prefix(200))
      let expected = try users.map { u in
        try model.recommend(user: model.users[Int32(u)], k: 20).map { model.items.index(of: $0.item)! }
      }
      cases.append(
        .object([
          "name": .string(name), "numpy": .string(folder.path + "/\(name)-numpy"),
          "faiss": .string(folder.path + "/\(name)-faiss"), "k": .number(20),
          "bits": .number(Double((try EmbeddingExport(model)).bits)),
          "users": .array(users.map { .number(Double($0)) }),
          "seen": .array(users.map { u in .array(model.seen.row(u).map { .number(Double($0)) }) }),
          "expected": .array(expected.map { .array($0.map { .number(Double($0)) }) }),
        ]))
    }
    let casesPath = folder.path + "/cases.json"
    try JSONEncoder().encode(JSONValue.array(cases)).write(to: URL(fileURLWithPath: casesPath))
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Interop/check_export.py").path
    let checked = try CompactRecTool.runProcess(Self.python!, [script, casesPath])
    print(checked.out)
    #expect(checked.status == 0, "\(checked.out)\(checked.err)")
    #expect(checked.out.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == models.count)
  }
}
