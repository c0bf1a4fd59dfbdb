// Elementwise math, comparisons, reductions and linear algebra.
#include "op_macros.h"

namespace flowmatch {

// X(name, aten): name(t) = at::aten(t). Export names are camelCase; lib/native/ops-math.ts
// types the same families (test/native.test.ts checks the two agree) and lib/op-table.ts
// gives them their Tensor methods and free functions.
#define FM_UNARY_OPS(X)                                                                                      \
  X(neg, neg) X(abs, abs) X(exp, exp) X(log, log) X(log1p, log1p) X(expm1, expm1) X(sqrt, sqrt)             \
  X(rsqrt, rsqrt) X(sin, sin) X(cos, cos) X(tanh, tanh) X(sigmoid, sigmoid) X(relu, relu) X(silu, silu)      \
  X(sign, sign) X(floor, floor) X(ceil, ceil) X(round, round) X(trunc, trunc) X(reciprocal, reciprocal)      \
  X(square, square) X(erf, erf) X(log2, log2) X(logicalNot, logical_not) X(isnan, isnan) X(isinf, isinf)     \
  X(isfinite, isfinite) X(exp2, exp2) X(atan, atan) X(asin, asin) X(acos, acos) X(sinh, sinh) X(cosh, cosh)

// X(name, Name, aten), in three forms: name(a, b) tensor∘tensor, nameScalar(t, s) tensor∘scalar
// and scalarName(s, t) scalar∘tensor, the scalar a wrapped number (it promotes like a Python
// scalar, as at::add(Tensor, Scalar) does internally, one dispatch sooner).
#define FM_BINARY_OPS(X)                                                                                     \
  X(add, Add, add) X(sub, Sub, sub) X(mul, Mul, mul) X(div, Div, div) X(pow, Pow, pow)                       \
  X(maximum, Maximum, maximum) X(minimum, Minimum, minimum) X(atan2, Atan2, atan2) X(fmod, Fmod, fmod)       \
  X(remainder, Remainder, remainder) X(eq, Eq, eq) X(ne, Ne, ne) X(lt, Lt, lt) X(le, Le, le) X(gt, Gt, gt)   \
  X(ge, Ge, ge) X(logicalAnd, LogicalAnd, logical_and) X(logicalOr, LogicalOr, logical_or)                   \
  X(logicalXor, LogicalXor, logical_xor)

void registerMath(Napi::Env env, Napi::Object exports, AddonState& s) {
#define FM_DEF_UNARY(name, aten) FM_OP(#name, return a.ret(at::aten(a.tensor(0))));
  FM_UNARY_OPS(FM_DEF_UNARY)
#undef FM_DEF_UNARY
#define FM_DEF_BINARY(name, Name, aten)                                                     \
  FM_OP(#name, return a.ret(at::aten(a.tensor(0), a.tensor(1))));                            \
  FM_OP(#name "Scalar", return a.ret(at::aten(a.tensor(0), wrappedScalar(a.scalar(1)))));    \
  FM_OP("scalar" #Name, return a.ret(at::aten(wrappedScalar(a.scalar(0)), a.tensor(1))));
  FM_BINARY_OPS(FM_DEF_BINARY)
#undef FM_DEF_BINARY

  FM_OP("addScaled", return a.ret(at::add(a.tensor(0), a.tensor(1), a.scalar(2))));  // a + alpha*b
  FM_OP("gelu", return a.ret(at::gelu(a.tensor(0), a.isNull(1) ? "none" : a.string(1))));
  FM_OP("softplus", return a.ret(at::softplus(a.tensor(0), a.scalar(1), a.scalar(2))));
  FM_OP("clamp", {
    c10::optional<at::Scalar> lo, hi;
    if (!a.isNull(1)) lo = a.scalar(1);
    if (!a.isNull(2)) hi = a.scalar(2);
    return a.ret(at::clamp(a.tensor(0), lo, hi));
  });
  FM_OP("where", return a.ret(at::where(a.tensor(0), a.tensor(1), a.tensor(2))));
  FM_OP("lerp", return a.ret(at::lerp(a.tensor(0), a.tensor(1), a.scalar(2))));
  FM_OP("allclose", return Napi::Boolean::New(info.Env(), at::allclose(a.tensor(0), a.tensor(1), a.number(2), a.number(3))));

  // `out` variants write into an existing tensor (resized if needed) for hot loops.
  FM_INPLACE("addOut", at::Tensor out = a.tensor(0); at::add_out(out, a.tensor(1), a.tensor(2)));
  FM_INPLACE("subOut", at::Tensor out = a.tensor(0); at::sub_out(out, a.tensor(1), a.tensor(2)));
  FM_INPLACE("mulOut", at::Tensor out = a.tensor(0); at::mul_out(out, a.tensor(1), a.tensor(2)));
  FM_INPLACE("divOut", at::Tensor out = a.tensor(0); at::div_out(out, a.tensor(1), a.tensor(2)));
  FM_INPLACE("matmulOut", at::Tensor out = a.tensor(0); at::matmul_out(out, a.tensor(1), a.tensor(2)));

  // In-place updates (the tensor handle keeps pointing at the same storage).
  FM_INPLACE("addInPlace", a.tensor(0).add_(a.tensor(1), a.isNull(2) ? at::Scalar(1) : a.scalar(2)));
  FM_INPLACE("addScalarInPlace", a.tensor(0).add_(a.scalar(1)));
  FM_INPLACE("subInPlace", a.tensor(0).sub_(a.tensor(1)));
  FM_INPLACE("mulInPlace", a.tensor(0).mul_(a.tensor(1)));
  FM_INPLACE("mulScalarInPlace", a.tensor(0).mul_(a.scalar(1)));
  FM_INPLACE("divInPlace", a.tensor(0).div_(a.tensor(1)));
  FM_INPLACE("divScalarInPlace", a.tensor(0).div_(a.scalar(1)));
  FM_INPLACE("zeroInPlace", a.tensor(0).zero_());
  FM_INPLACE("fillInPlace", a.tensor(0).fill_(a.scalar(1)));
  FM_INPLACE("copyInPlace", a.tensor(0).copy_(a.tensor(1)));
  FM_INPLACE("clampInPlace", {
    c10::optional<at::Scalar> lo, hi;
    if (!a.isNull(1)) lo = a.scalar(1);
    if (!a.isNull(2)) hi = a.scalar(2);
    a.tensor(0).clamp_(lo, hi);
  });
  FM_INPLACE("addcmulInPlace", a.tensor(0).addcmul_(a.tensor(1), a.tensor(2), a.scalar(3)));
  FM_INPLACE("addcdivInPlace", a.tensor(0).addcdiv_(a.tensor(1), a.tensor(2), a.scalar(3)));
  FM_INPLACE("lerpInPlace", a.tensor(0).lerp_(a.tensor(1), a.scalar(2)));

  // Reductions. dims = null reduces over every dimension.
  FM_OP("sum", {
    const at::Tensor& t = a.tensor(0);
    if (a.isNull(1) && !a.flag(2)) return a.ret(at::sum(t, a.optDtype(3)));
    return a.ret(at::sum(t, dimsOrAll(a, 1, t), a.flag(2), a.optDtype(3)));
  });
  FM_OP("mean", {
    const at::Tensor& t = a.tensor(0);
    if (a.isNull(1) && !a.flag(2)) return a.ret(at::mean(t));
    return a.ret(at::mean(t, dimsOrAll(a, 1, t), a.flag(2)));
  });
  FM_OP("prod", {
    const at::Tensor& t = a.tensor(0);
    if (a.isNull(1)) return a.ret(at::prod(t));
    return a.ret(at::prod(t, a.integer(1), a.flag(2)));
  });
  // var/std(t, dims | null, correction, keepdim)
  FM_OP("var", {
    const at::Tensor& t = a.tensor(0);
    return a.ret(at::var(t, at::OptionalIntArrayRef(dimsOrAll(a, 1, t)), at::Scalar(a.number(2)), a.flag(3)));
  });
  FM_OP("std", {
    const at::Tensor& t = a.tensor(0);
    return a.ret(at::std(t, at::OptionalIntArrayRef(dimsOrAll(a, 1, t)), at::Scalar(a.number(2)), a.flag(3)));
  });
  // max/min(t, dim | null, keepdim): all-reduce returns one tensor, a dim returns [values, indices].
  FM_OP("max", {
    if (a.isNull(1)) return a.ret(at::max(a.tensor(0)));
    auto [values, indices] = at::max(a.tensor(0), a.integer(1), a.flag(2));
    return a.retList({values, indices});
  });
  FM_OP("min", {
    if (a.isNull(1)) return a.ret(at::min(a.tensor(0)));
    auto [values, indices] = at::min(a.tensor(0), a.integer(1), a.flag(2));
    return a.retList({values, indices});
  });
  FM_OP("amax", { const at::Tensor& t = a.tensor(0); return a.ret(at::amax(t, dimsOrAll(a, 1, t), a.flag(2))); });
  FM_OP("amin", { const at::Tensor& t = a.tensor(0); return a.ret(at::amin(t, dimsOrAll(a, 1, t), a.flag(2))); });
  FM_OP("argmax", {
    c10::optional<int64_t> dim;
    if (!a.isNull(1)) dim = a.integer(1);
    return a.ret(at::argmax(a.tensor(0), dim, a.flag(2)));
  });
  FM_OP("argmin", {
    c10::optional<int64_t> dim;
    if (!a.isNull(1)) dim = a.integer(1);
    return a.ret(at::argmin(a.tensor(0), dim, a.flag(2)));
  });
  FM_OP("logsumexp", { const at::Tensor& t = a.tensor(0); return a.ret(at::logsumexp(t, dimsOrAll(a, 1, t), a.flag(2))); });
  // norm(t, ord, dims | null, keepdim): vector norm over the given dims (Infinity allowed).
  FM_OP("norm", {
    const at::Tensor& t = a.tensor(0);
    return a.ret(at::linalg_vector_norm(t, at::Scalar(a.number(1)), at::OptionalIntArrayRef(dimsOrAll(a, 2, t)), a.flag(3)));
  });
  FM_OP("cumsum", return a.ret(at::cumsum(a.tensor(0), a.integer(1))));
  FM_OP("all", return a.ret(at::all(a.tensor(0))));
  FM_OP("any", return a.ret(at::any(a.tensor(0))));

  // Linear algebra.
  FM_OP("matmul", return a.ret(at::matmul(a.tensor(0), a.tensor(1))));
  FM_OP("mm", return a.ret(at::mm(a.tensor(0), a.tensor(1))));
  FM_OP("bmm", return a.ret(at::bmm(a.tensor(0), a.tensor(1))));
  FM_OP("outer", return a.ret(at::outer(a.tensor(0), a.tensor(1))));
  FM_OP("einsum", return a.ret(at::einsum(a.string(0), a.tensors(1))));
  FM_OP("trace", return a.ret(at::trace(a.tensor(0))));
  FM_OP("diag", return a.ret(at::diag(a.tensor(0), a.isNull(1) ? 0 : a.integer(1))));
  FM_OP("eigh", {
    const at::Tensor& t = a.tensor(0);
    // LAPACK's syevd does not report NaN or Inf input: it returns finite-looking numbers.
    if (t.numel() > 0 && !at::isfinite(t).all().item<bool>()) {
      throw FlowmatchException("ERR_NON_FINITE", "eigh needs a matrix of finite values; this one has NaN or infinite entries");
    }
    auto [values, vectors] = at::linalg_eigh(t);
    return a.retList({values, vectors});
  });
  FM_OP("cholesky", return a.ret(at::linalg_cholesky(a.tensor(0))));
  FM_OP("inverse", return a.ret(at::linalg_inv(a.tensor(0))));
  FM_OP("slogdet", {
    auto [sign, logabsdet] = at::linalg_slogdet(a.tensor(0));
    return a.retList({sign, logabsdet});
  });
}

}  // namespace flowmatch
