import Foundation

extension ModelFile {
  /// Writes the model to `path` atomically (see `AtomicFile`): the file is either the old one
  /// or this complete model, never a mixture. O(total tensor bytes + header): one pass to
  /// checksum the tensors, one to write them; the header JSON is encoded once, only its small
  /// tensor directory again until the blob offsets settle (usually one or two rounds: offsets
  /// are absolute, so they depend on the header's own length).
  ///
  /// Preconditions (programmer errors): tensor names are unique and each tensor's byte count
  /// matches its shape and type. Throws `ModelFileError` with `.io` when the file cannot be
  /// written.
  public func write(to path: String) throws {
    var names = Set<String>()
    for tensor in tensors {
      precondition(names.insert(tensor.name).inserted, "duplicate tensor name '\(tensor.name)'")
      precondition(
        tensor.bytes.count == tensor.elementCount * tensor.type.byteWidth,
        "tensor '\(tensor.name)': \(tensor.bytes.count) bytes do not match shape \(tensor.shape)")
    }
    let checksums = tensors.map { CRC32.checksum($0.bytes) }
    let (json, header) = try encodeHeader(checksums: checksums, path: path)

    try AtomicFile.write(to: path) { out in
      var prefix = ModelFileLayout.magic
      withUnsafeBytes(of: ModelFile.formatVersion.littleEndian) { prefix += $0 }
      withUnsafeBytes(of: CRC32.checksum(json).littleEndian) { prefix += $0 }
      withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix += $0 }
      try out.write(prefix)
      try out.write(json)
      for (tensor, entry) in zip(tensors, header.tensors) {
        try out.writeZeros(entry.offset - out.bytesWritten)
        try out.write(tensor.bytes)
      }
      try out.writeZeros(header.fileLength - out.bytesWritten)
      assert(out.bytesWritten == header.fileLength)
    }
  }

  /// The header JSON and the header it encodes, with the blob offsets laid out after it.
  ///
  /// Offsets depend on where the blobs start, which depends on the JSON's length, which
  /// depends on the offsets' digits: start from the smallest possible start and re-encode
  /// until the start is stable. The start never decreases between rounds (larger offsets
  /// never shorten the JSON), so this ends, normally after one or two rounds. Only
  /// `fileLength` and `tensors` change between rounds, so the other members (the id lists
  /// can be megabytes) are encoded once and the object is assembled around them, keys in
  /// sorted order as `JSONEncoder`'s `.sortedKeys` would write them.
  private func encodeHeader(checksums: [UInt32], path: String) throws
    -> (json: [UInt8], header: ModelFileHeader)
  {
    let encoder = ModelFileLayout.makeEncoder()
    func encode(_ value: some Encodable) throws -> [UInt8] {
      do {
        return [UInt8](try encoder.encode(value))
      } catch {
        throw ModelFileError(
          path: path, reason: .invalidHeader("cannot encode the header (\(error))"))
      }
    }
    var fixed: [String: [UInt8]] = [
      "dataFingerprint": try encode(dataFingerprint),
      "formatVersion": try encode(ModelFile.formatVersion),
      "hyperParameters": try encode(hyperParameters),
      "itemIDs": try encode(ModelFile.areIndices(itemIDs) ? [] : itemIDs),
      "kind": try encode(kind),
      "metadata": try encode(metadata),
      "userIDs": try encode(ModelFile.areIndices(userIDs) ? [] : userIDs),
    ]
    if ModelFile.areIndices(userIDs) { fixed["userCount"] = try encode(userIDs.count) }
    if ModelFile.areIndices(itemIDs) { fixed["itemCount"] = try encode(itemIDs.count) }
    var dataStart = ModelFileLayout.aligned(ModelFileLayout.prefixLength)
    while true {
      let header = layout(dataStart: dataStart, checksums: checksums)
      var members = fixed
      members["fileLength"] = try encode(header.fileLength)
      members["tensors"] = try encode(header.tensors)
      var json: [UInt8] = Array("{".utf8)
      for (n, key) in members.keys.sorted().enumerated() {
        json += Array((n == 0 ? "\"" : ",\"").utf8) + Array(key.utf8) + Array("\":".utf8)
        json += members[key]!
      }
      json += Array("}".utf8)
      let needed = ModelFileLayout.aligned(ModelFileLayout.prefixLength + json.count)
      if needed <= dataStart { return (json, header) }
      dataStart = needed
    }
  }

  /// The header with each tensor at the next 64-byte boundary from `dataStart` on.
  private func layout(dataStart: Int, checksums: [UInt32]) -> ModelFileHeader {
    var offset = dataStart
    var entries: [ModelFileHeader.Entry] = []
    entries.reserveCapacity(tensors.count)
    for (tensor, checksum) in zip(tensors, checksums) {
      entries.append(
        ModelFileHeader.Entry(
          name: tensor.name, type: tensor.type, shape: tensor.shape, offset: offset,
          length: tensor.bytes.count, crc32: checksum))
      offset = ModelFileLayout.aligned(offset + tensor.bytes.count)
    }
    return ModelFileHeader(
      formatVersion: ModelFile.formatVersion, kind: kind, hyperParameters: hyperParameters,
      dataFingerprint: dataFingerprint, userIDs: userIDs, itemIDs: itemIDs, metadata: metadata,
      fileLength: offset, tensors: entries)
  }
}
