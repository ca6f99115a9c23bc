import Foundation
import Testing

@testable import CompactRecKit

/// The library's side of the hardening: output paths, the output lock, divergence, model files
/// whose checksums are valid but whose contents are not, and a full disk.
@Suite("Hardening")
struct HardeningTests {
  // MARK: - Output paths

  @Test("OutputPath refuses what would lose a file or fail, and accepts new paths and model files")
  func outputPaths() throws {
    let folder = DataTestFolder()
    let input = folder.write("data.csv", "u,i\n")
    let notes = folder.write("notes.txt", "mine")
    let model = folder.path + "/m.crm"
    try ModelFile(kind: "mostpop").write(to: model)
    func reason(_ path: String, _ replaceable: OutputPath.Replaceable = .modelFile) -> OutputPathError.Reason? {
      do {
        try OutputPath(path, option: "--out", replaceable: replaceable).check(inputs: [input, folder.path + "/sub"])
        return nil
      } catch let error as OutputPathError {
        return error.reason
      } catch {
        return .notAFileName
      }
    }
    #expect(reason(folder.path + "/new.crm") == nil)
    #expect(reason(model) == nil)
    #expect(reason(model, .nothing) == .exists)
    #expect(reason(notes) == .notAModelFile)
    #expect(reason(input) == .isInput(input))
    #expect(reason(folder.path + "//./data.csv") == .isInput(input))
    #expect(reason(folder.path) == .isDirectory)
    #expect(reason(folder.path + "/") == .notAFileName)
    #expect(reason(folder.path + "/missing/m.crm") == .missingDirectory(folder.path + "/missing"))
    #expect(reason("/dev/null") == .specialFile("character device"))
    // A file inside an input directory counts as an input.
    try FileManager.default.createDirectory(atPath: folder.path + "/sub", withIntermediateDirectories: true)
    let inside = folder.write("sub/train.txt", "a b\n")
    #expect(reason(inside) == .isInput(folder.path + "/sub"))
    #expect(OutputPath.sameFile(model, folder.path + "/./m.crm"))
    #expect(!OutputPath.sameFile(model, model + ".ckpt"))
  }

  @Test("OutputLock: a second claim is refused with the owner's pid until the first is released")
  func outputLock() throws {
    let folder = DataTestFolder()
    let path = folder.path + "/m.crm"
    let first = try OutputLock(path, option: "--out")
    #expect(throws: OutputPathError(path: path, option: "--out", reason: .busy(pid: Int(getpid())))) {
      try OutputLock(path, option: "--out")
    }
    first.release()
    let second = try OutputLock(path, option: "--out")
    second.release()
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  // MARK: - Divergence

  private func smallData() -> Dataset { SyntheticData.small(users: 60, items: 40) }

  private func isDivergence(_ error: any Error) -> Bool {
    guard case .diverged = error as? TrainingError else { return false }
    return true
  }

  @Test("MF-BPR and quantized LightGCN stop with TrainingError.diverged instead of writing NaN or trapping")
  func bprDivergence() throws {
    let data = smallData()
    var mf = MatrixFactorization.Configuration()
    mf.epochs = 3
    mf.learningRate = 1e30
    #expect {
      _ = try MatrixFactorization.train(on: data, configuration: mf)
    } throws: { isDivergence($0) }
    var lightgcn = LightGCN.Configuration()
    lightgcn.epochs = 3
    lightgcn.learningRate = 1e30
    lightgcn.quantization = QuantizationSettings(bits: 1, estimator: .gsteFixed(delta: .nan))
    #expect {
      _ = try LightGCN.train(on: data, configuration: lightgcn)
    } throws: { isDivergence($0) }
  }

  @Test("sequential training stops with TrainingError.diverged")
  func sequentialDivergence() throws {
    var c = SequentialConfiguration(architecture: .gru4rec)
    c.dim = 8
    c.epochs = 2
    c.evaluateEvery = 0
    c.maxLength = 8
    c.clipNorm = nil
    c.batchSize = 8
    c.learningRate = .infinity
    #expect {
      _ = try SequentialModel.train(on: smallData(), configuration: c)
    } throws: { error in
      guard case .diverged(let epoch, let batch, _) = error as? TrainingError else { return false }
      return epoch == 1 && batch != nil
    }
  }

  @Test("a diverged epoch leaves the previous epoch's checkpoint as it was")
  func divergenceKeepsCheckpoint() throws {
    let folder = DataTestFolder()
    let path = folder.path + "/run.ckpt"
    let matrix = smallData().trainMatrix()
    var epoch = 0
    let loop = BPRTrainingLoop(
      epochs: 5, batchSize: 100_000, evaluateEvery: 0, patience: 1, samplerSeed: 1,
      checkpoint: CheckpointOptions(path: path, resume: false, interval: 0))
    #expect(throws: TrainingError.diverged(epoch: 3, batch: 1, what: "the loss is nan")) {
      try loop.run(
        matrix: matrix, observer: nil,
        step: { _, _, _, _, _ in
          epoch += 1
          return epoch == 3 ? .nan : 1
        }, validate: { 0 }, keepBest: {}, restoreBest: {}, parameters: { [] })
    }
    #expect(try ModelFile.read(from: path).metadata["epoch"]?.intValue == 2)
    let parameters = Matrix(rows: 2, cols: 2, storage: [1, .infinity, 0, 0])
    #expect(throws: TrainingError.diverged(epoch: 1, batch: nil, what: "a parameter is not finite")) {
      try BPRTrainingLoop(epochs: 2, batchSize: 100_000, evaluateEvery: 0, patience: 1, samplerSeed: 1).run(
        matrix: matrix, observer: nil, step: { _, _, _, _, _ in 1 }, validate: { 0 }, keepBest: {}, restoreBest: {},
        parameters: { [parameters] })
    }
  }

  // MARK: - Model files with valid checksums and impossible contents

  /// A MostPop model file over 2 users and 3 items with `tensors` and `hyperParameters`
  /// replaced as given, written with correct checksums.
  private func tamperedFile(
    kind: String = "mostpop", hyperParameters: [String: JSONValue] = [:], replacing replaced: [Tensor]
  ) throws -> String {
    let folder = DataTestFolder()
    var tensors = [
      Tensor(name: "item_popularity", shape: [3], floats: [3, 2, 1]),
      Tensor(name: "history/offsets", shape: [3], uint64: [0, 1, 2]),
      Tensor(name: "history/items", shape: [2], int32: [0, 1]),
    ]
    for t in replaced {
      tensors.removeAll { $0.name == t.name }
      tensors.append(t)
    }
    let path = folder.path + "/tampered.crm"
    try ModelFile(
      kind: kind, hyperParameters: hyperParameters, userIDs: ["a", "b"], itemIDs: ["x", "y", "z"], tensors: tensors
    ).write(to: path)
    // Keep the file after the folder goes away: copy it next to the system's temporary files.
    let kept = NSTemporaryDirectory() + "compactrec-tampered-\(UUID().uuidString).crm"
    try FileManager.default.copyItem(atPath: path, toPath: kept)
    return kept
  }

  @Test(
    "history offsets beyond Int, out of order or past the items are refused",
    arguments: [[0, (1 << 63) + 5, 2], [0, 2, 1], [0, 1, 9], [1, 1, 2]] as [[UInt64]])
  func historyOffsets(offsets: [UInt64]) throws {
    let path = try tamperedFile(replacing: [Tensor(name: "history/offsets", shape: [3], uint64: offsets)])
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(throws: ModelFileError(path: path, reason: .invalidHeader("history tensors are inconsistent"))) {
      _ = try TrainedModel.load(from: path)
    }
  }

  @Test("a corrupt compact history is refused with the reason")
  func riceHistory() throws {
    let path = try tamperedFile(replacing: [Tensor(name: "history/rice", shape: [3], uint8: [1, 0, 0x55])])
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: ModelFileError(
        path: path, reason: .invalidHeader("history/rice: user 0's list names item -1, outside the 3 items"))
    ) {
      _ = try TrainedModel.load(from: path)
    }
  }

  @Test(
    "sequential settings outside the limits are refused before any allocation",
    arguments: [
      ["dilations": JSONValue.array([.number(4_611_686_018_427_387_904)])],
      ["dilations": .array([.number(1)]), "max_length": .number(1_099_511_627_776)],
      ["dilations": .array([.number(1)]), "dim": .number(16_384)],
      ["dilations": .array(Array(repeating: .number(1), count: 300))],
    ] as [[String: JSONValue]])
  func sequentialHeader(changes: [String: JSONValue]) throws {
    var hyper: [String: JSONValue] = ["architecture": "nextitnet", "dim": .number(8), "max_length": .number(5)]
    hyper.merge(changes) { $1 }
    let path = try tamperedFile(kind: "sequential", hyperParameters: hyper, replacing: [])
    expectInvalidHeader(path)
  }

  @Test("embedding models with an impossible dim are refused", arguments: ["mf-bpr", "hqgnn"])
  func impossibleDim(kind: String) throws {
    let path = try tamperedFile(
      kind: kind, hyperParameters: ["dim": .number(Double(Int.max)), "bits": .number(1)], replacing: [])
    expectInvalidHeader(path)
  }

  /// Expects loading `path` to be refused as an invalid header, and removes the file.
  private func expectInvalidHeader(_ path: String) {
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect {
      _ = try TrainedModel.load(from: path)
    } throws: { error in
      guard let error = error as? ModelFileError, case .invalidHeader = error.reason else { return false }
      return true
    }
  }

  @Test("empty data and model files are refused before reading (fuzzing finding: Foundation leaked on them)")
  func emptyFiles() throws {
    let folder = DataTestFolder()
    let empty = folder.write("empty.csv", "")
    #expect(throws: DataError(file: empty, message: "file is empty")) {
      try DataLoader.load(path: empty, options: LoadOptions(split: .leaveOneOut))
    }
    let model = folder.write("empty.crm", "")
    #expect(throws: ModelFileError(path: model, reason: .notAModelFile)) { try TrainedModel.load(from: model) }
  }

  @Test("a write sweeps the temporary files of killed writers of the same path, not those of live ones")
  func abandonedTemporaries() throws {
    let folder = DataTestFolder()
    let dead = folder.write(".m.crm.tmp-2147483646-ab12", "half a model")  // no such process
    let live = folder.write(".m.crm.tmp-\(getpid())-cd34", "being written")
    let other = folder.write(".n.crm.tmp-2147483646-ef56", "another path's")
    try ModelFile(kind: "mostpop").write(to: folder.path + "/m.crm")
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: live) && FileManager.default.fileExists(atPath: other))
  }

  // MARK: - A full disk

  @Test("saving to a full file system fails with a clear message and keeps the earlier file")
  func diskFull() throws {
    let folder = DataTestFolder()
    let mountPoint = folder.path + "/small"
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    guard getuid() == 0, "size=64k".withCString({ mount("tmpfs", mountPoint, "tmpfs", 0, $0) }) == 0 else {
      print("skipping the full-disk test: mounting a 64 KiB tmpfs needs root and a system that allows it")
      return
    }
    defer { umount(mountPoint) }
    let path = mountPoint + "/m.crm"
    try ModelFile(kind: "mostpop", tensors: [Tensor(name: "t", shape: [4], floats: [1, 2, 3, 4])]).write(to: path)
    let before = FileManager.default.contents(atPath: path)
    let large = ModelFile(
      kind: "mostpop", tensors: [Tensor(name: "t", shape: [40_000], floats: Array(repeating: 1, count: 40_000))])
    #expect {
      try large.write(to: path)
    } throws: { error in
      "\(error)".contains("No space left on device") && "\(error)".contains("an earlier file at this path is unchanged")
    }
    #expect(FileManager.default.contents(atPath: path) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["m.crm"])
  }
}
