/// A deployable model: everything needed to serve or evaluate it, in one `.crm` file.
///
/// The file holds a small JSON header (kind, hyper-parameters, data fingerprint, the original
/// user and item ids, metadata, tensor directory) and the tensors as 64-byte-aligned blobs,
/// each with a CRC32. `write(to:)` replaces the file atomically; `read(from:)` refuses a
/// truncated, corrupted or newer-version file with a `ModelFileError` that says what to do.
/// The layout is described in `ModelFileLayout`.
public struct ModelFile: Sendable {
  /// The format version this build writes and the newest it reads. Version 2 added id maps
  /// stored as a count when the ids are their own indices, and Rice-coded histories
  /// (`HistoryCoding`); version 1 files still load.
  public static let formatVersion: UInt32 = 2

  /// The model kind, e.g. `"mf-bpr"`; decides which model type can load the file.
  public var kind: String
  public var hyperParameters: [String: JSONValue]
  /// Fingerprint of the training data, so evaluation can warn when it meets other data.
  public var dataFingerprint: String
  /// Original user ids, in the order of the dense indices used by the tensors.
  public var userIDs: [String]
  /// Original item ids, in the order of the dense indices used by the tensors.
  public var itemIDs: [String]
  /// Free-form facts about the run, e.g. training time, epochs, library version.
  public var metadata: [String: JSONValue]
  /// The tensors, in file order. Names are unique.
  public var tensors: [Tensor]
  /// Where this model was read from; names the file in errors. Empty for a model built in
  /// memory.
  public var path: String = ""

  public init(
    kind: String,
    hyperParameters: [String: JSONValue] = [:],
    dataFingerprint: String = "",
    userIDs: [String] = [],
    itemIDs: [String] = [],
    metadata: [String: JSONValue] = [:],
    tensors: [Tensor] = []
  ) {
    self.kind = kind
    self.hyperParameters = hyperParameters
    self.dataFingerprint = dataFingerprint
    self.userIDs = userIDs
    self.itemIDs = itemIDs
    self.metadata = metadata
    self.tensors = tensors
  }

  // MARK: - Access

  /// The tensor named `name`. O(number of tensors). Throws `missingTensor`.
  public func tensor(_ name: String) throws -> Tensor {
    guard let tensor = tensors.first(where: { $0.name == name }) else {
      throw ModelFileError(path: path, reason: .missingTensor(name))
    }
    return tensor
  }

  /// The elements of float tensor `name` (`f32`, or `f16` widened), after checking it has
  /// exactly `shape`. O(n). Throws `missingTensor`, `wrongTensorType` or `wrongShape`.
  public func floats(_ name: String, shape: [Int]) throws -> [Float] {
    try decode(name, shape: shape) { try $0.floats() }
  }

  /// The elements of `u64` tensor `name` (e.g. packed codes) with exactly `shape`. O(n).
  public func uint64s(_ name: String, shape: [Int]) throws -> [UInt64] {
    try decode(name, shape: shape) { try $0.uint64s() }
  }

  /// The elements of `u8` tensor `name` with exactly `shape`. O(n).
  public func uint8s(_ name: String, shape: [Int]) throws -> [UInt8] {
    try decode(name, shape: shape) { try $0.uint8s() }
  }

  /// The elements of `i32` tensor `name` with exactly `shape`. O(n).
  public func int32s(_ name: String, shape: [Int]) throws -> [Int32] {
    try decode(name, shape: shape) { try $0.int32s() }
  }

  /// Throws `wrongKind` unless this file holds a model of `kind`.
  public func requireKind(_ kind: String) throws {
    guard self.kind == kind else {
      throw ModelFileError(path: path, reason: .wrongKind(expected: kind, found: self.kind))
    }
  }

  /// Each tensor's name and size in bytes (padding excluded), in file order; for `inspect`.
  public func tensorByteCounts() -> [(name: String, bytes: Int)] {
    tensors.map { (name: $0.name, bytes: $0.bytes.count) }
  }

  /// Looks up `name`, decodes it (type check) and checks its shape, naming this file in errors.
  private func decode<T>(_ name: String, shape: [Int], _ body: (Tensor) throws -> T) throws -> T {
    let tensor = try self.tensor(name)
    let values: T
    do {
      values = try body(tensor)
    } catch var error as ModelFileError {
      error.path = path
      throw error
    }
    guard tensor.shape == shape else {
      throw ModelFileError(
        path: path, reason: .wrongShape(name: name, expected: shape, found: tensor.shape))
    }
    return values
  }
}

extension ModelFile {
  /// Whether `ids` are exactly "0", "1", ..., "n-1" in order (and not empty): such an id map is
  /// stored as its count.
  static func areIndices(_ ids: [String]) -> Bool {
    !ids.isEmpty && ids.enumerated().allSatisfy { $0.element == String($0.offset) }
  }
}
