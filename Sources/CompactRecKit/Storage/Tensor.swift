/// The element type of a stored tensor; the raw value is the name used in the file header.
public enum TensorType: String, Codable, Sendable, CaseIterable {
  case float32 = "f32"
  case float16 = "f16"
  case uint64 = "u64"
  case int32 = "i32"
  case uint8 = "u8"

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .float32: return 4
    case .float16: return 2
    case .uint64: return 8
    case .int32: return 4
    case .uint8: return 1
    }
  }
}

/// A named n-dimensional array as stored in a model file: element type, shape (row-major) and
/// the elements' little-endian bytes.
///
/// Keeping the raw bytes (rather than `[Float]`) lets one type carry fp32 weights, fp16
/// weights, packed bit codes (`u64`) and index tables alike; typed initializers encode and
/// typed decoders check the type and convert. Invariant: `bytes.count == elementCount *
/// type.byteWidth` (checked by the initializers and by `ModelFile.write`).
public struct Tensor: Sendable, Equatable {
  public var name: String
  public var type: TensorType
  /// Dimensions, outermost first; `[]` is a scalar (one element).
  public var shape: [Int]
  /// The elements, little-endian, row-major.
  public var bytes: [UInt8]

  /// Number of elements: the product of `shape`.
  public var elementCount: Int { Tensor.elementCount(shape) }

  /// A tensor over raw bytes. Precondition: `bytes.count == product(shape) * type.byteWidth`.
  public init(name: String, type: TensorType, shape: [Int], bytes: [UInt8]) {
    let count = Tensor.elementCount(shape)
    precondition(
      bytes.count == count * type.byteWidth,
      "tensor '\(name)': \(bytes.count) bytes for shape \(shape) of \(type.rawValue)")
    self.name = name
    self.type = type
    self.shape = shape
    self.bytes = bytes
  }

  /// A float tensor stored as `f32`, or as `f16` (half the bytes) when `type` is `.float16`;
  /// fp16 rounds each value to the nearest representable one (ties to even; magnitudes above
  /// 65504 become infinite). O(n). Precondition: `floats.count == product(shape)`, `type` is
  /// `.float32` or `.float16`.
  public init(name: String, shape: [Int], floats: [Float], as type: TensorType = .float32) {
    Tensor.checkCount(name, shape, floats.count)
    switch type {
    case .float32:
      #if _endian(little)
        self.init(name: name, type: type, shape: shape, bytes: Tensor.rawBytes(floats))
      #else
        self.init(
          name: name, type: type, shape: shape, bytes: Tensor.pack(floats.map(\.bitPattern)))
      #endif
    case .float16:
      self.init(
        name: name, type: type, shape: shape,
        bytes: Tensor.pack(floats.map { Float16($0).bitPattern }))
    default:
      preconditionFailure("tensor '\(name)': floats are stored as f32 or f16, not \(type.rawValue)")
    }
  }

  /// A `u64` tensor, e.g. packed bit codes. O(n). Precondition: count matches the shape.
  public init(name: String, shape: [Int], uint64 values: [UInt64]) {
    Tensor.checkCount(name, shape, values.count)
    self.init(name: name, type: .uint64, shape: shape, bytes: Tensor.pack(values))
  }

  /// An `i32` tensor, e.g. an index table. O(n). Precondition: count matches the shape.
  public init(name: String, shape: [Int], int32 values: [Int32]) {
    Tensor.checkCount(name, shape, values.count)
    self.init(name: name, type: .int32, shape: shape, bytes: Tensor.pack(values))
  }

  /// A `u8` tensor. O(n). Precondition: count matches the shape.
  public init(name: String, shape: [Int], uint8 values: [UInt8]) {
    Tensor.checkCount(name, shape, values.count)
    self.init(name: name, type: .uint8, shape: shape, bytes: values)
  }

  // MARK: - Decoding

  /// The elements as floats, from `f32` or (widened exactly) from `f16`. O(n).
  /// Throws `wrongTensorType` for other types.
  public func floats() throws -> [Float] {
    switch type {
    case .float32:
      #if _endian(little)
        return Tensor.fromRawBytes(bytes, as: Float.self)
      #else
        return Tensor.unpack(bytes, as: UInt32.self).map(Float.init(bitPattern:))
      #endif
    case .float16:
      return Tensor.unpack(bytes, as: UInt16.self).map { Float(Float16(bitPattern: $0)) }
    default:
      throw wrongType(expected: "f32 or f16")
    }
  }

  /// Whether an `f32` or `f16` tensor holds a NaN or an infinity; false for other types. O(n),
  /// read in place (no decoded copy).
  public var containsNonFinite: Bool {
    bytes.withUnsafeBytes { raw in
      switch type {
      case .float32:
        return stride(from: 0, to: raw.count, by: 4).contains {
          !Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt32.self))).isFinite
        }
      case .float16:
        return stride(from: 0, to: raw.count, by: 2).contains {
          !Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self))).isFinite
        }
      default:
        return false
      }
    }
  }

  /// The elements of a `u64` tensor. O(n). Throws `wrongTensorType` for other types.
  public func uint64s() throws -> [UInt64] {
    guard type == .uint64 else { throw wrongType(expected: TensorType.uint64.rawValue) }
    return Tensor.unpack(bytes, as: UInt64.self)
  }

  /// The elements of an `i32` tensor. O(n). Throws `wrongTensorType` for other types.
  public func int32s() throws -> [Int32] {
    guard type == .int32 else { throw wrongType(expected: TensorType.int32.rawValue) }
    return Tensor.unpack(bytes, as: Int32.self)
  }

  /// The elements of a `u8` tensor. O(n). Throws `wrongTensorType` for other types.
  public func uint8s() throws -> [UInt8] {
    guard type == .uint8 else { throw wrongType(expected: TensorType.uint8.rawValue) }
    return bytes
  }

  /// The error for a decoder called on the wrong type; `ModelFile` fills in the path.
  private func wrongType(expected: String) -> ModelFileError {
    ModelFileError(
      path: "", reason: .wrongTensorType(name: name, expected: expected, found: type.rawValue))
  }

  // MARK: - Helpers

  static func elementCount(_ shape: [Int]) -> Int {
    shape.reduce(1) { product, dimension in
      precondition(dimension >= 0, "negative dimension in shape \(shape)")
      return product * dimension
    }
  }

  private static func checkCount(_ name: String, _ shape: [Int], _ count: Int) {
    precondition(
      count == elementCount(shape),
      "tensor '\(name)': \(count) elements for shape \(shape)")
  }

  /// Little-endian bytes of `values`: a single copy on little-endian hosts.
  private static func pack<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    #if _endian(little)
      return rawBytes(values)
    #else
      return rawBytes(values.map(\.littleEndian))
    #endif
  }

  /// Values read from little-endian `bytes`: a single copy on little-endian hosts.
  private static func unpack<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
    #if _endian(little)
      return fromRawBytes(bytes, as: T.self)
    #else
      return fromRawBytes(bytes, as: T.self).map { T(littleEndian: $0) }
    #endif
  }

  /// The in-memory bytes of `values` (host byte order), copied with one `memcpy`.
  private static func rawBytes<T>(_ values: [T]) -> [UInt8] {
    values.withUnsafeBytes { raw in
      [UInt8](unsafeUninitializedCapacity: raw.count) { buffer, initialized in
        if raw.count > 0 {
          UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
            from: raw.baseAddress!, byteCount: raw.count)
        }
        initialized = raw.count
      }
    }
  }

  /// `bytes` reinterpreted as values of `T` (host byte order), copied with one `memcpy`.
  /// Precondition: whole elements only.
  private static func fromRawBytes<T>(_ bytes: [UInt8], as: T.Type) -> [T] {
    let width = MemoryLayout<T>.stride
    precondition(bytes.count % width == 0, "\(bytes.count) bytes is not a whole number of elements")
    let count = bytes.count / width
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        if count > 0 {
          UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
            from: raw.baseAddress!, byteCount: count * width)
        }
      }
      initialized = count
    }
  }
}
