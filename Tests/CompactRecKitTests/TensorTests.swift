import CompactRecKit
import Testing

@Suite struct TensorTests {
  @Test func typeNamesAndWidths() {
    #expect(TensorType.allCases.map(\.rawValue) == ["f32", "f16", "u64", "i32", "u8"])
    #expect(TensorType.allCases.map(\.byteWidth) == [4, 2, 8, 4, 1])
  }

  @Test func elementCount() {
    #expect(Tensor(name: "s", shape: [], floats: [1]).elementCount == 1)
    #expect(Tensor(name: "e", shape: [3, 0], floats: []).elementCount == 0)
    #expect(
      Tensor(name: "m", shape: [2, 3, 4], uint8: [UInt8](repeating: 0, count: 24)).elementCount
        == 24)
  }

  @Test func float32RoundTripsBitExactly() throws {
    let values: [Float] = [
      0, -0.0, 1, -1.5, .pi, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
      .infinity, -.infinity, .nan,
    ]
    let tensor = Tensor(name: "w", shape: [2, 5], floats: values)
    #expect(tensor.type == .float32)
    #expect(tensor.bytes.count == 40)
    #expect(try tensor.floats().map(\.bitPattern) == values.map(\.bitPattern))
  }

  @Test func bytesAreLittleEndian() {
    #expect(Tensor(name: "f", shape: [1], floats: [1]).bytes == [0x00, 0x00, 0x80, 0x3F])
    #expect(Tensor(name: "h", shape: [1], floats: [1], as: .float16).bytes == [0x00, 0x3C])
    #expect(
      Tensor(name: "u", shape: [1], uint64: [0x0102_0304_0506_0708]).bytes == [
        8, 7, 6, 5, 4, 3, 2, 1,
      ])
    #expect(Tensor(name: "i", shape: [1], int32: [-2]).bytes == [0xFE, 0xFF, 0xFF, 0xFF])
  }

  /// Values representable in fp16 come back exactly; others come back rounded to nearest.
  @Test func float16RoundsToNearest() throws {
    let exact: [Float] = [0, -0.0, 1, -2, 0.5, 1024, 65504, 0.099975586, 1.0 / 1024, 6.1035156e-05]
    let exactTensor = Tensor(name: "h", shape: [exact.count], floats: exact, as: .float16)
    #expect(exactTensor.bytes.count == 2 * exact.count)
    #expect(try exactTensor.floats() == exact)

    var generator = SystemRandomNumberGenerator()
    let inexact = (0..<1000).map { _ in Float.random(in: -4...4, using: &generator) }
    let decoded = try Tensor(name: "h", shape: [1000], floats: inexact, as: .float16).floats()
    for (value, back) in zip(inexact, decoded) {
      // Within half a unit in the last place of fp16 (10 fraction bits), or the subnormal step.
      #expect(abs(back - value) <= max(abs(value) * 0x1p-11, 0x1p-25))
    }

    // Ties go to even; above the largest finite fp16 value is infinite.
    let ties: [Float] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-11 + 0x1p-20, 70000]
    let rounded = try Tensor(name: "t", shape: [4], floats: ties, as: .float16).floats()
    #expect(rounded == [1, 1 + 0x1p-9, 1 + 0x1p-10, .infinity])
  }

  @Test func integerTypesRoundTrip() throws {
    let u64: [UInt64] = [0, 1, .max, 0xDEAD_BEEF_0BAD_F00D]
    #expect(try Tensor(name: "c", shape: [2, 2], uint64: u64).uint64s() == u64)
    let i32: [Int32] = [.min, -1, 0, 1, .max]
    #expect(try Tensor(name: "i", shape: [5], int32: i32).int32s() == i32)
    let u8: [UInt8] = [0, 127, 255]
    #expect(try Tensor(name: "b", shape: [3], uint8: u8).uint8s() == u8)
  }

  @Test func decodersRefuseOtherTypes() {
    let codes = Tensor(name: "codes", shape: [1], uint64: [7])
    #expect(throws: error(.wrongTensorType(name: "codes", expected: "f32 or f16", found: "u64"))) {
      try codes.floats()
    }
    #expect(throws: error(.wrongTensorType(name: "codes", expected: "i32", found: "u64"))) {
      try codes.int32s()
    }
    let weights = Tensor(name: "w", shape: [1], floats: [1], as: .float16)
    #expect(throws: error(.wrongTensorType(name: "w", expected: "u64", found: "f16"))) {
      try weights.uint64s()
    }
    #expect(throws: error(.wrongTensorType(name: "w", expected: "u8", found: "f16"))) {
      try weights.uint8s()
    }
  }

  private func error(_ reason: ModelFileError.Reason) -> ModelFileError {
    ModelFileError(path: "", reason: reason)
  }
}
