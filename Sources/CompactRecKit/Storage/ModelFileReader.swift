import Foundation

extension ModelFile {
  /// Reads and verifies the model file at `path`. O(file size): every byte is checksummed and
  /// the tensors are copied out, so nothing refers to the file afterwards.
  ///
  /// With `mapped` (the default) the file is memory-mapped rather than read into a buffer, so
  /// loading needs no second copy of the file in memory. (Do not truncate a file while it is
  /// being read: a mapped read then faults.)
  ///
  /// Refuses, in this order: a missing file (`notFound`); a file without the `.crm` signature
  /// (`notAModelFile`); a newer format (`newerVersion`); a file shorter than its prefix, its
  /// header or its recorded length (`truncated`); a header failing its CRC32
  /// (`headerChecksumMismatch`); a header that does not decode or describes an impossible
  /// layout, or bytes after the recorded end (`invalidHeader`); a tensor failing its CRC32
  /// (`tensorChecksumMismatch`).
  public static func read(from path: String, mapped: Bool = true) throws -> ModelFile {
    try read(bytes: try load(path, mapped: mapped), path: path)
  }

  /// Verifies and decodes a model file already read into `bytes` (as a server reads a file
  /// once, to checksum and load the very same bytes); `path` names it in errors. Refuses what
  /// `read(from:)` refuses.
  public static func read(bytes: Data, path: String) throws -> ModelFile {
    try bytes.withUnsafeBytes { try parse($0, path: path, verifyChecksums: verifiesChecksums) }
  }

  /// Whether `read(from:)` compares the CRC32s: true, except inside
  /// `ModelFile.$verifiesChecksums.withValue(false) { ... }`. It exists for the fuzz targets
  /// and tests, so that damaged headers and tensors reach the consistency checks behind the
  /// checksums through the real loading code (random damage almost never passes a CRC32).
  @TaskLocal static var verifiesChecksums = true

  private static func load(_ path: String, mapped: Bool) throws -> Data {
    switch FileIdentity.readProblem(at: path) {
    case .missing?: throw ModelFileError(path: path, reason: .notFound)
    case .directory?: throw ModelFileError(path: path, reason: .io("is a directory, not a model file"))
    case .special(let kind)?:
      throw ModelFileError(
        path: path, reason: .io("is a \(kind), not a regular file; save the model to a file and pass that"))
    case .empty?: return Data()  // No model file; `parse` says so.
    case nil: break
    }
    do {
      return try Data(
        contentsOf: URL(fileURLWithPath: path), options: mapped ? .alwaysMapped : [])
    } catch {
      if !FileManager.default.fileExists(atPath: path) {
        throw ModelFileError(path: path, reason: .notFound)  // Removed meanwhile.
      }
      throw ModelFileError(
        path: path, reason: .io("cannot read the file (\(error.localizedDescription))"))
    }
  }

  /// Verifies the whole file in `raw` (its checksums only when `verifyChecksums`) and decodes it.
  private static func parse(
    _ raw: UnsafeRawBufferPointer, path: String, verifyChecksums: Bool
  ) throws -> ModelFile {
    func fail(_ reason: ModelFileError.Reason) -> ModelFileError {
      ModelFileError(path: path, reason: reason)
    }
    func invalid(_ detail: String) -> ModelFileError { fail(.invalidHeader(detail)) }
    let count = raw.count
    let prefixLength = ModelFileLayout.prefixLength

    // Fixed prefix: magic, version, header checksum and length.
    let magic = ModelFileLayout.magic
    let seen = min(count, magic.count)
    guard seen > 0, raw.prefix(seen).elementsEqual(magic.prefix(seen)) else {
      throw fail(.notAModelFile)
    }
    guard count >= prefixLength else {
      throw fail(.truncated(expectedBytes: prefixLength, actualBytes: count))
    }
    let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    guard version <= formatVersion else {
      throw fail(.newerVersion(found: version, supported: formatVersion))
    }
    guard version >= 1 else { throw invalid("unknown format version \(version)") }
    let headerCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
    let storedLength = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    guard storedLength <= UInt64(count - prefixLength) else {
      let (expected, overflow) = Int(clamping: storedLength).addingReportingOverflow(prefixLength)
      throw fail(.truncated(expectedBytes: overflow ? Int.max : expected, actualBytes: count))
    }
    let headerEnd = prefixLength + Int(storedLength)
    let json = UnsafeRawBufferPointer(rebasing: raw[prefixLength..<headerEnd])
    guard !verifyChecksums || CRC32.checksum(json) == headerCRC else {
      throw fail(.headerChecksumMismatch)
    }

    // Header JSON.
    let header: ModelFileHeader
    do {
      header = try JSONDecoder().decode(ModelFileHeader.self, from: Data(json))
    } catch {
      throw invalid(explain(error))
    }
    guard header.formatVersion == version else {
      throw invalid("it says format version \(header.formatVersion), the prefix says \(version)")
    }
    guard header.fileLength >= headerEnd else {
      throw invalid("recorded file length \(header.fileLength) ends inside the header")
    }
    guard header.fileLength <= count else {
      throw fail(.truncated(expectedBytes: header.fileLength, actualBytes: count))
    }
    guard header.fileLength == count else {
      throw invalid("\(count - header.fileLength) trailing bytes after the recorded end")
    }
    let userIDs = try ids(header.userIDs, count: header.userCount, what: "user", limit: count, invalid)
    let itemIDs = try ids(header.itemIDs, count: header.itemCount, what: "item", limit: count, invalid)
    try checkDirectory(header, headerEnd: headerEnd, invalid)

    // Tensors: checksum, then copy out of the file.
    var tensors: [Tensor] = []
    tensors.reserveCapacity(header.tensors.count)
    for entry in header.tensors {
      let blob = UnsafeRawBufferPointer(rebasing: raw[entry.offset..<entry.offset + entry.length])
      guard !verifyChecksums || CRC32.checksum(blob) == entry.crc32 else {
        throw fail(.tensorChecksumMismatch(name: entry.name))
      }
      tensors.append(
        Tensor(name: entry.name, type: entry.type, shape: entry.shape, bytes: copy(blob)))
    }

    var model = ModelFile(
      kind: header.kind, hyperParameters: header.hyperParameters,
      dataFingerprint: header.dataFingerprint, userIDs: userIDs, itemIDs: itemIDs,
      metadata: header.metadata, tensors: tensors)
    model.path = path
    return model
  }

  /// Checks every directory entry: unique name, sane shape, length matching shape and type,
  /// 64-byte alignment, no overlap with the header or the previous blob, inside the file.
  private static func checkDirectory(
    _ header: ModelFileHeader, headerEnd: Int, _ invalid: (String) -> ModelFileError
  ) throws {
    var names = Set<String>()
    var end = headerEnd
    for entry in header.tensors {
      let name = "tensor '\(entry.name)'"
      guard names.insert(entry.name).inserted else { throw invalid("duplicate \(name)") }
      guard entry.shape.allSatisfy({ $0 >= 0 }) else {
        throw invalid("\(name) has a negative dimension in shape \(entry.shape)")
      }
      var bytes = entry.type.byteWidth
      for dimension in entry.shape {
        let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw invalid("\(name) has an impossible shape \(entry.shape)") }
        bytes = product
      }
      guard entry.length == bytes else {
        throw invalid(
          "\(name) has \(entry.length) bytes, but shape \(entry.shape) of"
            + " \(entry.type.rawValue) needs \(bytes)")
      }
      guard entry.offset % ModelFileLayout.alignment == 0 else {
        throw invalid("\(name) is not 64-byte aligned (offset \(entry.offset))")
      }
      guard entry.offset >= end else {
        throw invalid("\(name) overlaps the header or the previous tensor")
      }
      guard entry.length <= header.fileLength - entry.offset else {
        throw invalid("\(name) extends past the end of the file")
      }
      end = entry.offset + entry.length
    }
  }

  /// Throws when `ids` has a repeat (id maps require unique ids). O(n).
  /// The ids of a header: the stored list (checked unique), or "0" ..< count when the header
  /// stores only the count (the list must then be empty). A count above `limit`, the file's
  /// size, is refused before any id is made: every user has a history entry and every item a
  /// model row, each at least a byte.
  private static func ids(
    _ stored: [String], count: Int?, what: String, limit: Int, _ invalid: (String) -> ModelFileError
  ) throws -> [String] {
    guard let count else {
      try checkUnique(stored, what: "\(what) id", invalid)
      return stored
    }
    guard stored.isEmpty, (1...limit).contains(count) else {
      throw invalid("\(what)Count \(count) with \(stored.count) stored ids")
    }
    return (0..<count).map { String($0) }
  }

  private static func checkUnique(
    _ ids: [String], what: String, _ invalid: (String) -> ModelFileError
  ) throws {
    var seen = Set<String>(minimumCapacity: ids.count)
    for id in ids where !seen.insert(id).inserted {
      throw invalid("duplicate \(what) '\(id)'")
    }
  }

  /// `bytes` as an array, copied with one `memcpy`.
  private static func copy(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
      if let source = bytes.baseAddress, bytes.count > 0 {
        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
          from: source, byteCount: bytes.count)
      }
      initialized = bytes.count
    }
  }

  /// A decoding error as one line: what was wrong and where, e.g.
  /// `tensors[2].type: Cannot initialize TensorType from invalid String value f64`.
  private static func explain(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func location(_ path: [CodingKey]) -> String {
      var text = ""
      for key in path {
        if let index = key.intValue {
          text += "[\(index)]"
        } else {
          text += (text.isEmpty ? "" : ".") + key.stringValue
        }
      }
      return text.isEmpty ? "" : text + ": "
    }
    switch error {
    case .keyNotFound(let key, let context):
      return location(context.codingPath) + "missing field '\(key.stringValue)'"
    case .typeMismatch(_, let context), .valueNotFound(_, let context),
      .dataCorrupted(let context):
      return location(context.codingPath) + context.debugDescription
    @unknown default:
      return "\(error)"
    }
  }
}
