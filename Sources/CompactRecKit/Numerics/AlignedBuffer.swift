/// A fixed-size array of plain values (floats, integers) in 64-byte-aligned memory that the
/// buffer owns and frees. Its address never moves, so the C kernels' views of a type's tables
/// can be built once from `pointer`, instead of one nested `withUnsafe...` call per array on
/// every use; 64-byte alignment keeps the kernels' vector loads inside cache lines.
///
/// A reference type so that the tables it holds are shared, not copied, by their owner's
/// copies. It does no synchronization: concurrent writers must write disjoint elements.
final class AlignedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
  /// Number of elements.
  let count: Int
  /// The first element; valid for `count` elements while the buffer lives.
  let pointer: UnsafeMutablePointer<Element>

  /// Memory for `count` elements, not yet initialized.
  private init(uninitialized count: Int) {
    precondition(count >= 0, "negative count")
    self.count = count
    pointer = UnsafeMutableRawPointer.allocate(
      byteCount: max(1, count) * MemoryLayout<Element>.stride, alignment: max(64, MemoryLayout<Element>.alignment)
    ).bindMemory(to: Element.self, capacity: max(1, count))
  }

  /// `count` copies of `value`.
  convenience init(repeating value: Element, count: Int) {
    self.init(uninitialized: count)
    pointer.initialize(repeating: value, count: count)
  }

  /// A copy of `elements`.
  convenience init(_ elements: [Element]) {
    self.init(uninitialized: elements.count)
    guard !elements.isEmpty else { return }
    elements.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: elements.count) }
  }

  deinit { pointer.deallocate() }

  /// The elements as a buffer pointer.
  var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

  subscript(i: Int) -> Element {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }
}
