#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// Dense linear algebra through the platform BLAS: OpenBLAS on Linux, Accelerate on Apple
/// platforms. All matrices are row-major `Float`.
public enum BLAS {
  /// C = alpha * op(A) * op(B) + beta * C, where op(A) is (m x k), op(B) is (k x n), C is (m x n).
  /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored. Cost: 2mnk flops.
  @inlinable
  public static func gemm(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c,
      blasInt(ldc))
  }

  /// Makes each BLAS call run on the calling thread alone. A server runs many small products
  /// at once, one per request batch and core; letting OpenBLAS split each of them over its own
  /// threads only adds spinning and context switches. Accelerate chooses for itself (no-op).
  public static func useOneThreadPerCall() {
    #if !canImport(Accelerate)
      openblas_set_num_threads(1)
    #endif
  }

  /// y = alpha * op(A) * x + beta * y for a row-major (rows x cols) matrix A.
  @inlinable
  public static func gemv(
    transpose: Bool = false, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>,
    lda: Int, x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
  ) {
    if rows == 0 || cols == 0 { return }
    cblas_sgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasInt(rows), blasInt(cols), alpha,
      a, blasInt(lda), x, 1, beta, y, 1)
  }

  #if canImport(Accelerate)
    @usableFromInline typealias Index = __LAPACK_int
  #else
    @usableFromInline typealias Index = blasint
  #endif
  @usableFromInline @inline(__always) static func blasInt(_ v: Int) -> Index { Index(v) }
}
