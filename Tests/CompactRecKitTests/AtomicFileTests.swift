import CompactRecKit
import Foundation
import Testing

@Suite struct AtomicFileTests {
  @Test func writesAndReplacesLeavingNoTemporaryFiles() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/out.bin"
      try AtomicFile.write([1, 2, 3], to: path)
      #expect(try contents(path) == [1, 2, 3])
      try AtomicFile.write([9, 8], to: path)
      #expect(try contents(path) == [9, 8])
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.bin"])
    }
  }

  @Test func streamsLargeAndSmallWritesInOrder() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/big.bin"
      let large = [UInt8](
        (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
      var expected: [UInt8] = []
      var written = 0
      try AtomicFile.write(to: path) { out in
        for piece in [[UInt8]([7, 7]), large, [1], large[..<1000].map { $0 }, [], [5, 5, 5]] {
          try out.write(piece)
          expected += piece
        }
        try out.writeZeros(10)
        expected += [UInt8](repeating: 0, count: 10)
        written = out.bytesWritten
      }
      #expect(written == expected.count)
      #expect(try contents(path) == expected)
    }
  }

  /// A body that throws leaves the old file as it was and no temporary file behind.
  @Test func failingBodyKeepsTheOldFile() throws {
    struct Stop: Error, Equatable {}
    try withTemporaryDirectory { directory in
      let path = directory + "/keep.bin"
      try AtomicFile.write([4, 2], to: path)
      #expect(throws: Stop()) {
        try AtomicFile.write(to: path) { out in
          try out.write([UInt8](repeating: 1, count: 2 << 20))
          throw Stop()
        }
      }
      #expect(try contents(path) == [4, 2])
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["keep.bin"])
    }
  }

  @Test func missingDirectoryThrowsAndCreatesNothing() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/no/such/dir/out.bin"
      #expect {
        try AtomicFile.write([1], to: path)
      } throws: { error in
        guard let error = error as? ModelFileError, case .io = error.reason else { return false }
        return error.path == path
      }
      let left = try FileManager.default.contentsOfDirectory(atPath: directory)
      #expect(left.isEmpty)
    }
  }

  @Test func destinationThatIsADirectoryIsRefused() throws {
    try withTemporaryDirectory { directory in
      let path = directory + "/taken"
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      #expect(throws: ModelFileError.self) { try AtomicFile.write([1], to: path) }
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["taken"])
    }
  }
}

private func contents(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("compactrec-atomic-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  try body(path)
}
