import Foundation

/// Writes an `EmbeddingExport` into a directory that FAISS, NumPy and vector databases read:
///
/// - `numpy`: `items.npy` and `users.npy` (float32), at 1 bit `item_codes.npy` and
///   `user_codes.npy` (uint8 packed signs);
/// - `faiss`: `items.faiss` (an `IndexIDMap` over an `IndexFlatIP` of the item vectors: its
///   ranking is the model's), at 1 bit `items.binary.faiss` (an `IndexBinaryIDMap` over an
///   `IndexBinaryFlat` of the sign codes: Hamming candidates, not the model's ranking), and
///   `users.npy` for the queries;
/// - both: `items.tsv` and `users.tsv` (row number, tab, original id; the FAISS ids are the row
///   numbers) and `manifest.json` (kind, widths, bits, metric, counts, the source file's CRC32
///   and what each file means).
///
/// Every file is written atomically. The directory is created when missing; an existing one
/// must be empty or hold an earlier export (a `manifest.json` written here), so that no
/// other file is ever replaced.
public enum ExportDirectory {
  /// The export formats.
  public enum Format: String, CaseIterable, Sendable {
    /// `.npy` arrays (and, at 1 bit, packed sign codes).
    case numpy
    /// FAISS index files (and `users.npy` for the queries).
    case faiss
  }

  /// Writes `export` of the model file at `source` (with its ids from `model`) to
  /// `directory` in `format`; returns the names of the files written. `option` names the
  /// directory in messages (a tool passes its own word for it, such as `--out`).
  @discardableResult
  public static func write(
    _ export: EmbeddingExport, of model: TrainedModel, source: String, format: Format, to directory: String,
    named option: String = "export directory"
  ) throws -> [String] {
    let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    try prepare(directory, option: option)
    var files: [String: String] = [:]
    func path(_ name: String) -> String { directory + "/" + name }
    let itemIDs = (0..<export.items.rows).map { Int64($0) }
    switch format {
    case .numpy:
      try NumpyFile.write(
        float32: export.items.storage, shape: [export.items.rows, export.items.cols], to: path("items.npy"))
      files["items.npy"] = "float32 (items, dim): item vectors; row r is the item on row r of items.tsv"
      if let codes = export.itemCodes {
        try NumpyFile.write(uint8: codes, shape: [export.items.rows, export.codeBytes], to: path("item_codes.npy"))
        files["item_codes.npy"] =
          "uint8 (items, ceil(dim / 8)): sign bits of the item codes (1 = positive), least significant bit first"
      }
      if let codes = export.userCodes {
        try NumpyFile.write(uint8: codes, shape: [export.users.rows, export.codeBytes], to: path("user_codes.npy"))
        files["user_codes.npy"] = "uint8 (users, ceil(dim / 8)): sign bits of the user codes, as item_codes.npy"
      }
    case .faiss:
      try FaissIndexFile.writeFlatInnerProduct(export.items, ids: itemIDs, to: path("items.faiss"))
      files["items.faiss"] = "IndexIDMap(IndexFlatIP) of the item vectors; its inner-product ranking is the model's"
      if let codes = export.itemCodes {
        try FaissIndexFile.writeBinaryFlat(
          codes: codes, bytesPerCode: export.codeBytes, dim: export.codeBytes * 8, ids: itemIDs,
          to: path("items.binary.faiss"))
        files["items.binary.faiss"] =
          "IndexBinaryIDMap(IndexBinaryFlat) of the item sign codes: Hamming candidates, not the model's ranking (it ignores each item's step); re-rank them with items.faiss or items.npy"
      }
    }
    try NumpyFile.write(
      float32: export.users.storage, shape: [export.users.rows, export.users.cols], to: path("users.npy"))
    files["users.npy"] = "float32 (users, dim): user (query) vectors; row r is the user on row r of users.tsv"
    try AtomicFile.write(Array(tsv(model.items.ids).utf8), to: path("items.tsv"))
    files["items.tsv"] = "row number <tab> original item id (tab, newline and backslash in ids escaped as \\t \\n \\\\)"
    try AtomicFile.write(Array(tsv(model.users.ids).utf8), to: path("users.tsv"))
    files["users.tsv"] = "row number <tab> original user id, escaped as in items.tsv"
    let sourceBytes = try Data(contentsOf: URL(fileURLWithPath: source), options: .alwaysMapped)
    let crc = sourceBytes.withUnsafeBytes { CRC32.checksum($0) }
    let manifest: JSONValue = .object([
      "format": .string(format.rawValue), "kind": .string(export.kind), "dim": .number(Double(export.items.cols)),
      "model_dim": .number(Double(export.modelDim)), "bits": .number(Double(export.bits)),
      "metric": .string("inner_product"), "users": .number(Double(export.users.rows)),
      "items": .number(Double(export.items.rows)), "source": .string(source),
      "source_crc32": .string(String(format: "%08x", crc)), "vectors": .string(export.layout),
      "files": .object(files.mapValues { .string($0) }),
    ])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try AtomicFile.write(Array(try encoder.encode(manifest)) + [0x0A], to: path("manifest.json"))
    return files.keys.sorted() + ["manifest.json"]
  }

  /// Creates `directory` when missing; refuses one that holds anything but an earlier export.
  private static func prepare(_ directory: String, option: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw OutputPathError(path: directory, option: option, reason: .notADirectory)
      }
      let contents = try FileManager.default.contentsOfDirectory(atPath: directory)
      let manifest =
        (try? JSONDecoder().decode(
          JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))))?.objectValue
      guard contents.isEmpty || manifest?["source_crc32"] != nil else {
        throw OutputPathError(path: directory, option: option, reason: .notAnExport)
      }
      // The files the earlier export's manifest lists go, so none is left beside the new ones.
      let earlierFiles = manifest?["files"]?.objectValue?.keys ?? [:].keys
      for name in contents where earlierFiles.contains(name) {
        try FileManager.default.removeItem(atPath: directory + "/" + name)
      }
    } else {
      try OutputPath(directory, option: option, replaceable: .nothing).check()
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }
  }

  /// `row<TAB>id` lines, with tab, newline, carriage return and backslash escaped.
  static func tsv(_ ids: [String]) -> String {
    var out = ""
    for (row, id) in ids.enumerated() {
      var escaped = ""
      for c in id.unicodeScalars {
        switch c {
        case "\t": escaped += "\\t"
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\\": escaped += "\\\\"
        default: escaped.unicodeScalars.append(c)
        }
      }
      out += "\(row)\t\(escaped)\n"
    }
    return out
  }
}
