import CompactRecKit
import Foundation
import Testing

@Suite struct ModelFileTests {
  // MARK: - Round trip

  @Test(arguments: [true, false])
  func roundTripsEverything(mapped: Bool) throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/model.crm"
      let model = sampleModel()
      try model.write(to: path)
      let back = try ModelFile.read(from: path, mapped: mapped)
      #expect(back.path == path)
      #expect(back.kind == model.kind)
      #expect(back.hyperParameters == model.hyperParameters)
      #expect(back.dataFingerprint == model.dataFingerprint)
      #expect(back.userIDs == model.userIDs)
      #expect(back.itemIDs == model.itemIDs)
      #expect(back.metadata == model.metadata)
      #expect(back.tensors == model.tensors)
      #expect(try back.floats("user_embedding", shape: [4, 3]) == userEmbedding)
      #expect(try back.uint64s("codes", shape: [5, 2]) == codes)
      #expect(try back.int32s("index", shape: [7]) == index)
      #expect(try back.tensor("flags").uint8s() == [1, 2, 3])
      #expect(try back.floats("empty", shape: [0, 4]) == [])
    }
  }

  /// fp16 values exactly representable come back exactly, others within fp16 precision.
  @Test func float16RoundTripsThroughTheFile() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/half.crm"
      let exact: [Float] = [0.5, -2, 1024, 0.099975586, 65504, 0]
      let inexact: [Float] = [0.1, -1.2345, 3.14159, 1e-3, 1000.7, -0.333]
      let model = ModelFile(
        kind: "test",
        tensors: [
          Tensor(name: "exact", shape: [2, 3], floats: exact, as: .float16),
          Tensor(name: "inexact", shape: [6], floats: inexact, as: .float16),
        ])
      try model.write(to: path)
      let back = try ModelFile.read(from: path)
      #expect(back.tensors[0].type == .float16)
      #expect(try back.floats("exact", shape: [2, 3]) == exact)
      for (value, decoded) in zip(inexact, try back.floats("inexact", shape: [6])) {
        #expect(decoded != value)
        #expect(abs(decoded - value) <= abs(value) * 0x1p-11)
      }
    }
  }

  @Test func modelWithoutTensorsOrIDsRoundTrips() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/pop.crm"
      try ModelFile(kind: "most-pop").write(to: path)
      let back = try ModelFile.read(from: path)
      #expect(back.kind == "most-pop")
      #expect(back.tensors.isEmpty && back.userIDs.isEmpty && back.hyperParameters.isEmpty)
    }
  }

  /// JSON has no NaN or infinity; a diverged loss in the metadata must not fail the save.
  @Test func nonFiniteNumbersAreStoredAsStrings() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/nan.crm"
      let metadata: [String: JSONValue] = [
        "loss": .number(.nan), "best": .number(.infinity), "worst": .number(-.infinity),
      ]
      try ModelFile(kind: "test", metadata: metadata).write(to: path)
      let back = try ModelFile.read(from: path)
      #expect(back.metadata == ["loss": "NaN", "best": "Infinity", "worst": "-Infinity"])
    }
  }

  // MARK: - Layout

  /// Reads the raw bytes: prefix fields, sorted-key JSON, zero padding, 64-byte-aligned blobs.
  @Test func layoutIsAlignedAndDeterministic() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/model.crm"
      let model = sampleModel()
      try model.write(to: path)
      let bytes = try contents(path)
      #expect(Array(bytes[0..<8]) == [0x89, 0x43, 0x52, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A])
      #expect(littleEndian(bytes, 8, 4) == 2)
      let jsonLength = Int(littleEndian(bytes, 16, 8))
      let json = Array(bytes[24..<24 + jsonLength])
      #expect(UInt64(CRC32.checksum(json)) == littleEndian(bytes, 12, 4))
      let text = String(decoding: json, as: UTF8.self)
      let keys = [
        "dataFingerprint", "fileLength", "formatVersion", "hyperParameters", "itemIDs", "kind",
        "metadata", "tensors", "userIDs",
      ]
      let positions = keys.compactMap { text.range(of: "\"\($0)\":")?.lowerBound }
      #expect(positions.count == keys.count && positions == positions.sorted())
      #expect(text.hasPrefix(#"{"dataFingerprint":"#) && text.hasSuffix("]}"))

      let header = try #require(
        try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
      #expect(header["fileLength"] as? Int == bytes.count)
      #expect(header["formatVersion"] as? Int == 2)
      #expect(bytes.count % 64 == 0)
      let entries = try #require(header["tensors"] as? [[String: Any]])
      #expect(entries.count == model.tensors.count)
      var end = 24 + jsonLength
      for (entry, tensor) in zip(entries, model.tensors) {
        let offset = try #require(entry["offset"] as? Int)
        let length = try #require(entry["length"] as? Int)
        #expect(entry["name"] as? String == tensor.name)
        #expect(entry["type"] as? String == tensor.type.rawValue)
        #expect(entry["shape"] as? [Int] == tensor.shape)
        #expect(offset % 64 == 0)
        #expect(offset >= end && offset - end < 64)
        #expect(bytes[end..<offset].allSatisfy { $0 == 0 })
        #expect(Array(bytes[offset..<offset + length]) == tensor.bytes)
        #expect(entry["crc32"] as? UInt32 == CRC32.checksum(tensor.bytes))
        end = offset + length
      }
      #expect(bytes[end...].allSatisfy { $0 == 0 })
      #expect(bytes.count - end < 64)

      // Writing the same model again gives the same bytes.
      try model.write(to: directory + "/again.crm")
      #expect(try contents(directory + "/again.crm") == bytes)
    }
  }

  @Test func writeReplacesAnExistingFileLeavingNoTemporaryFiles() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/model.crm"
      try ModelFile(kind: "old").write(to: path)
      try sampleModel().write(to: path)
      #expect(try ModelFile.read(from: path).kind == "mf-bpr")
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.crm"])
    }
  }

  @Test func writeIntoMissingDirectoryThrowsAndLeavesNothing() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/missing/model.crm"
      #expect(throws: ModelFileError.self) { try sampleModel().write(to: path) }
      let left = try FileManager.default.contentsOfDirectory(atPath: directory)
      #expect(left.isEmpty)
    }
  }

  // MARK: - Refusals

  @Test func truncatedFilesAreRefused() throws {
    try withSampleFile { path, bytes in
      let jsonEnd = 24 + Int(littleEndian(bytes, 16, 8))
      let blob = try tensorRanges(bytes)["user_embedding"]!
      let cuts: [(at: Int, expected: Int)] = [
        (4, 24),  // inside the magic
        (20, 24),  // inside the fixed prefix
        ((24 + jsonEnd) / 2, jsonEnd),  // inside the header JSON
        (jsonEnd + 1, bytes.count),  // inside the padding after the header
        (blob.lowerBound + 5, bytes.count),  // inside a tensor
        (bytes.count - 1, bytes.count),  // at the end
      ]
      for cut in cuts {
        try Data(bytes[..<cut.at]).write(to: URL(fileURLWithPath: path))
        #expect(
          throws: ModelFileError(
            path: path, reason: .truncated(expectedBytes: cut.expected, actualBytes: cut.at))
        ) { try ModelFile.read(from: path) }
      }
    }
  }

  @Test func flippedHeaderByteIsRefused() throws {
    try withSampleFile { path, bytes in
      let jsonLength = Int(littleEndian(bytes, 16, 8))
      for position in [24, 24 + jsonLength / 2, 24 + jsonLength - 1] {
        var damaged = bytes
        damaged[position] ^= 0x04
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        #expect(throws: ModelFileError(path: path, reason: .headerChecksumMismatch)) {
          try ModelFile.read(from: path)
        }
      }
    }
  }

  @Test func flippedTensorByteIsRefusedNamingTheTensor() throws {
    try withSampleFile { path, bytes in
      let ranges = try tensorRanges(bytes)
      #expect(ranges.count == sampleModel().tensors.count)
      for (name, range) in ranges where !range.isEmpty {
        for position in [range.lowerBound, range.upperBound - 1] {
          var damaged = bytes
          damaged[position] ^= 0x80
          try Data(damaged).write(to: URL(fileURLWithPath: path))
          #expect(throws: ModelFileError(path: path, reason: .tensorChecksumMismatch(name: name))) {
            try ModelFile.read(from: path, mapped: position % 2 == 0)
          }
        }
      }
    }
  }

  @Test func filesWithoutTheSignatureAreRefused() throws {
    try withSampleFile { path, bytes in
      var textMode = bytes
      textMode.remove(at: 4)  // "\r\n" -> "\n", as a text-mode transfer does
      let inputs: [[UInt8]] = [Array("user,item\n1,2\n".utf8), [], Array(bytes[1...]), textMode]
      for input in inputs {
        try Data(input).write(to: URL(fileURLWithPath: path))
        #expect(throws: ModelFileError(path: path, reason: .notAModelFile)) {
          try ModelFile.read(from: path)
        }
      }
    }
  }

  @Test func newerVersionIsRefused() throws {
    try withSampleFile { path, bytes in
      var patched = bytes
      patched[8] = 3
      try Data(patched).write(to: URL(fileURLWithPath: path))
      #expect(throws: ModelFileError(path: path, reason: .newerVersion(found: 3, supported: 2))) {
        try ModelFile.read(from: path)
      }
    }
  }

  @Test func indexIDsAreStoredAsACount() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/model.crm"
      let ids = (0..<300).map { String($0) }
      try ModelFile(
        kind: "mostpop", userIDs: ids, itemIDs: ids.map { "i" + $0 },
        tensors: [Tensor(name: "t", shape: [1], uint8: [1])]
      ).write(to: path)
      let bytes = try contents(path)
      let json = String(decoding: bytes[24..<24 + Int(littleEndian(bytes, 16, 8))], as: UTF8.self)
      #expect(json.contains(#""userCount":300"#) && json.contains(#""userIDs":[]"#) && !json.contains("itemCount"))
      let read = try ModelFile.read(from: path)
      #expect(read.userIDs == ids && read.itemIDs == ids.map { "i" + $0 })
      // A count of none, or beyond what the file could hold, is refused.
      for (to, expected) in [(#""userCount":  0"#, "userCount 0"), (#""userCount":9e9"#, "userCount 9000000000")] {
        let edited = try rewritingHeader(bytes, replacing: #""userCount":300"#, with: to)
        try Data(edited).write(to: URL(fileURLWithPath: path))
        #expect {
          try ModelFile.read(from: path)
        } throws: { error in
          guard let error = error as? ModelFileError, case .invalidHeader(let detail) = error.reason else {
            return false
          }
          return detail.hasPrefix(expected)
        }
      }
    }
  }

  @Test func missingFileIsRefused() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/absent.crm"
      #expect(throws: ModelFileError(path: path, reason: .notFound)) {
        try ModelFile.read(from: path)
      }
    }
  }

  @Test func trailingBytesAreRefused() throws {
    try withSampleFile { path, bytes in
      try Data(bytes + [UInt8](repeating: 0, count: 64)).write(to: URL(fileURLWithPath: path))
      #expect(
        throws: ModelFileError(
          path: path, reason: .invalidHeader("64 trailing bytes after the recorded end"))
      ) { try ModelFile.read(from: path) }
    }
  }

  /// Headers with a valid checksum but impossible content (as a buggy writer could produce).
  @Test func inconsistentHeadersAreRefused() throws {
    try withSampleFile { path, bytes in
      let cases: [(from: String, to: String, expected: String)] = [
        (#""user-B""#, #""user-A""#, "duplicate user id 'user-A'"),
        (#""item-2""#, #""item-1""#, "duplicate item id 'item-1'"),
        (#""name":"codes""#, #""name":"index""#, "duplicate tensor 'index'"),
        (
          #""length":48"#, #""length":44"#,
          "tensor 'user_embedding' has 44 bytes, but shape [4, 3] of f32 needs 48"
        ),
      ]
      for c in cases {
        try Data(try rewritingHeader(bytes, replacing: c.from, with: c.to))
          .write(to: URL(fileURLWithPath: path))
        #expect(throws: ModelFileError(path: path, reason: .invalidHeader(c.expected))) {
          try ModelFile.read(from: path)
        }
      }
      // An unknown element type: the message names the field.
      try Data(try rewritingHeader(bytes, replacing: #""type":"u64""#, with: #""type":"u63""#))
        .write(to: URL(fileURLWithPath: path))
      #expect {
        try ModelFile.read(from: path)
      } throws: { error in
        guard let error = error as? ModelFileError, case .invalidHeader(let detail) = error.reason
        else { return false }
        return detail.hasPrefix("tensors[2].type: ")
      }
    }
  }

  // MARK: - Access

  @Test func accessorsCheckNameTypeShapeAndKind() throws {
    let model = sampleModel()
    try model.requireKind("mf-bpr")
    #expect(
      throws: ModelFileError(path: "", reason: .wrongKind(expected: "lightgcn", found: "mf-bpr"))
    ) {
      try model.requireKind("lightgcn")
    }
    #expect(throws: ModelFileError(path: "", reason: .missingTensor("nope"))) {
      try model.tensor("nope")
    }
    #expect(
      throws: ModelFileError(
        path: "", reason: .wrongShape(name: "user_embedding", expected: [3, 4], found: [4, 3]))
    ) { try model.floats("user_embedding", shape: [3, 4]) }
    var named = model
    named.path = "m.crm"
    #expect(
      throws: ModelFileError(
        path: "m.crm", reason: .wrongTensorType(name: "codes", expected: "f32 or f16", found: "u64")
      )
    ) { try named.floats("codes", shape: [5, 2]) }
    #expect(model.tensorByteCounts().map(\.name) == model.tensors.map(\.name))
    #expect(model.tensorByteCounts().map(\.bytes) == [48, 30, 80, 28, 3, 0])
  }

  @Test func messagesSayWhatToDo() {
    func text(_ reason: ModelFileError.Reason) -> String {
      ModelFileError(path: "model.crm", reason: reason).description
    }
    #expect(
      text(.truncated(expectedBytes: 1_234_567, actualBytes: 1_000_000))
        == "model.crm: file is truncated (expected 1,234,567 bytes, found 1,000,000); it was"
        + " probably copied or written incompletely — re-create it")
    #expect(
      text(.newerVersion(found: 3, supported: 1))
        == "model.crm: written by a newer CompactRec (format version 3; this build reads up to 1)"
        + " — upgrade compactrec")
    #expect(
      text(.tensorChecksumMismatch(name: "item_embedding")).hasPrefix(
        "model.crm: tensor 'item_embedding' is corrupted (CRC32 mismatch)"))
    #expect(
      text(.truncated(expectedBytes: 24, actualBytes: 5)).contains("(expected 24 bytes, found 5)"))
    #expect(ModelFileError(path: "", reason: .notFound).description.hasPrefix("model: "))
  }
}

// MARK: - Fixtures

private let userEmbedding: [Float] = [0.1, -0.2, 0.3, 1, 2, 3, -1e-3, 4.5, 0, 7, 8, 9]
private let codes: [UInt64] = [0, .max, 1, 2, 3, 0xFFFF_0000_FFFF_0000, 5, 6, 7, 1 << 63]
private let index: [Int32] = [0, -1, .max, .min, 3, 2, 1]

/// Every tensor type, sizes that need padding, an empty tensor, unicode and awkward ids.
private func sampleModel() -> ModelFile {
  ModelFile(
    kind: "mf-bpr",
    hyperParameters: [
      "dim": 3, "lr": 0.001, "optimizer": "adam", "layers": [64, 32],
      "schedule": ["warmup": true, "none": nil],
    ],
    dataFingerprint: "00ff00ff00ff00ff",
    userIDs: ["user-A", "user-B", "ユーザー", "emoji-🙂"],
    itemIDs: ["item-1", "item-2", "a/b \"quoted\"", "line\nbreak", "物品"],
    metadata: ["trainingSeconds": 12.5, "epochs": 3, "library": "CompactRec"],
    tensors: [
      Tensor(name: "user_embedding", shape: [4, 3], floats: userEmbedding),
      Tensor(
        name: "item_embedding", shape: [5, 3], floats: (0..<15).map { Float($0) / 4 }, as: .float16),
      Tensor(name: "codes", shape: [5, 2], uint64: codes),
      Tensor(name: "index", shape: [7], int32: index),
      Tensor(name: "flags", shape: [3], uint8: [1, 2, 3]),
      Tensor(name: "empty", shape: [0, 4], floats: []),
    ])
}

/// Writes the sample model and passes its path and bytes to `body`.
private func withSampleFile(_ body: (String, [UInt8]) throws -> Void) throws {
  try withTemporaryDirectory { directory in
    let path = directory + "/model.crm"
    try sampleModel().write(to: path)
    try body(path, try contents(path))
  }
}

/// Each tensor's byte range, from the header of `bytes`.
private func tensorRanges(_ bytes: [UInt8]) throws -> [String: Range<Int>] {
  let jsonLength = Int(littleEndian(bytes, 16, 8))
  let object = try JSONSerialization.jsonObject(with: Data(bytes[24..<24 + jsonLength]))
  let entries = (object as? [String: Any])?["tensors"] as? [[String: Any]] ?? []
  var ranges: [String: Range<Int>] = [:]
  for entry in entries {
    let offset = entry["offset"] as! Int
    ranges[entry["name"] as! String] = offset..<offset + (entry["length"] as! Int)
  }
  return ranges
}

/// `bytes` with the header JSON edited (same length) and its checksum recomputed.
private func rewritingHeader(_ bytes: [UInt8], replacing old: String, with new: String) throws
  -> [UInt8]
{
  precondition(old.utf8.count == new.utf8.count)
  let jsonLength = Int(littleEndian(bytes, 16, 8))
  let json = String(decoding: bytes[24..<24 + jsonLength], as: UTF8.self)
  let range = try #require(json.range(of: old))
  let edited = Array(json.replacingCharacters(in: range, with: new).utf8)
  var out = bytes
  out.replaceSubrange(24..<24 + jsonLength, with: edited)
  withUnsafeBytes(of: CRC32.checksum(edited).littleEndian) {
    out.replaceSubrange(12..<16, with: $0)
  }
  return out
}

private func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
  (0..<count).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
}

private func contents(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("compactrec-model-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  try body(path)
}
