"""C99 source and header for microcontrollers: no dynamic memory, no libm.

Each layer takes the path its plan allows (see :mod:`hardtarget.export._plan`):
``packed`` layers read bit-packed inputs (bit 1 = +1 or 1, 32 per ``uint32_t``): with ±1
inputs they fire when ``popcount(x XOR w) <= limit``, with 0/1 inputs when
``popcount(x AND plus) - popcount(x AND minus) > threshold``; ``integer`` layers sum
small integers and compare with an integer threshold; ``float`` layers repeat the
Network's float64 summation order.  The output layer's pre-activations are float64,
equal bit for bit to ``Network.decision_function`` (compile without FMA contraction: ``-std=c99`` or
``-ffp-contract=off``; no ``-ffast-math``).
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import HardTargetError
from ..labels import class_labels
from ..network import Network
from ._pipeline import Step
from ._plan import LayerPlan, network_inputs, plan_network

__all__ = ["c_sources", "c_name", "c_string"]

_WORD = 32


def _hex(v: float) -> str:
    v = float(v)
    return "0.0" if v == 0 and not np.signbit(v) else ("-0.0" if v == 0 else v.hex())


def _ctype(values: np.ndarray) -> str:
    big = int(np.abs(values).max()) if values.size else 0
    for bits in (8, 16, 32):
        if big < 2 ** (bits - 1):
            return f"int{bits}_t"
    return "int64_t"


def _array(ctype: str, name: str, values, per_line: int = 16) -> str:
    flat = [str(v) for v in values]
    rows = [", ".join(flat[i : i + per_line]) for i in range(0, len(flat), per_line)] or ["0"]
    return (
        f"static const {ctype} {name}[{max(len(flat), 1)}] = {{\n    "
        + ",\n    ".join(rows)
        + "\n};\n"
    )


def _words(n: int) -> int:
    return (n + _WORD - 1) // _WORD


def _pack_rows(signs: np.ndarray) -> list[int]:
    """Rows of ±1 values as little-endian 32-bit words (bit 1 = +1)."""
    out = []
    for row in signs:
        for w in range(_words(len(row))):
            chunk = row[w * _WORD : (w + 1) * _WORD]
            out.append(sum(1 << i for i, v in enumerate(chunk) if v > 0))
    return out


def _store(p: LayerPlan, fmt: str, value: str) -> str:
    """Statement writing unit ``j``'s output (``value`` is 1 when it fires) in format ``fmt``."""
    if fmt == "bits":
        return f"if ({value}) h{p.index + 1}[j >> 5] |= (uint32_t)1 << (j & 31);"
    lo, hi = p.activation.levels[0], p.activation.levels[-1]
    if fmt == "int8":
        return f"h{p.index + 1}[j] = ({value}) ? {int(hi)} : {int(lo)};"
    return f"h{p.index + 1}[j] = ({value}) ? {_hex(hi)} : {_hex(lo)};"


def _qrelu(p: LayerPlan, z: str, target: str) -> str:
    """The count of thresholds ``s / (q - 1)`` below ``z``, in O(1): a guess corrected by
    exact comparisons (as :func:`hardtarget.activations.qrelu`)."""
    q = p.activation.k
    if q == 1:
        return f"{target} = ({z} > 0) ? 1.0 : 0.0;"
    d = f"(double){q - 1}"
    return (
        f"{{ long c = 0; if ({z} > 0) {{ double g = {z} * {d}; "
        f"c = g >= (double){q} ? {q}L : (long)g; "
        f"while (c > 0 && (double)(c - 1) / {d} >= {z}) --c; "
        f"while (c < {q}L && (double)c / {d} < {z}) ++c; }} "
        f"{target} = (double)c / (double){q}; }}"
    )


def _layer(p: LayerPlan, fmt: str | None, out_name: str) -> tuple[str, str]:
    """(constant arrays, loop body) of one layer; ``fmt`` None marks the output layer."""
    P, d = f"L{p.index}", p.index
    inp = "x" if d == 0 else f"h{d}"
    consts, lines = "", []
    threshold = fmt is not None and p.kind != "float" and p.activation.kind != "qrelu"
    if p.kind == "packed" and p.inputs == "binary":  # 0/1 inputs: S = pc(x & plus) - pc(x & minus)
        nw = _words(p.fan_in)
        for mask, sign in (("PLUS", 1), ("MINUS", -1)):
            rows = _pack_rows((p.integer[0].T == sign).astype(np.int64))
            consts += _array("uint32_t", f"{P}_{mask}", [f"0x{v:08x}u" for v in rows], 6)
        lines.append(
            f"int32_t s = 0; int w; for (w = 0; w < {nw}; ++w) "
            f"s += (int32_t)ht_popcount({inp}[w] & {P}_PLUS[j * {nw} + w]) "
            f"- (int32_t)ht_popcount({inp}[w] & {P}_MINUS[j * {nw} + w]);"
        )
        if threshold:
            consts += _array("int32_t", f"{P}_T", p.integer[1].tolist())
        fires, S = f"s > {P}_T[j]", "s"
    elif p.kind == "packed":
        nw = _words(p.fan_in)
        consts += _array(
            "uint32_t", f"{P}_W", [f"0x{v:08x}u" for v in _pack_rows(p.integer[0].T)], 6
        )
        lines.append(
            f"uint32_t pc = 0; int w; for (w = 0; w < {nw}; ++w) "
            f"pc += ht_popcount({inp}[w] ^ {P}_W[j * {nw} + w]);"
        )
        if threshold:
            consts += _array("int32_t", f"{P}_T", p.popcount_limits.tolist())
        fires, S = f"(int32_t)pc <= {P}_T[j]", f"((int32_t){p.fan_in} - 2 * (int32_t)pc)"
    elif p.kind == "integer":
        acc = "int32_t" if p.max_abs_sum < 2**31 else "int64_t"
        Wi, T = p.integer
        consts += _array(_ctype(Wi), f"{P}_W", Wi.T.ravel().tolist())
        if threshold:
            consts += _array(_ctype(T), f"{P}_T", T.tolist())
        lines.append(
            f"{acc} s = 0; int f; for (f = 0; f < {p.fan_in}; ++f) "
            f"s += ({acc}){inp}[f] * {P}_W[j * {p.fan_in} + f];"
        )
        fires, S = f"s > {P}_T[j]", "s"
    else:
        if p.float32_weights:  # exact as float, promoted to double in the product
            consts += _array("float", f"{P}_W", [_hex(v) + "f" for v in p.weights.T.ravel()], 4)
        else:
            consts += _array("double", f"{P}_W", [_hex(v) for v in p.weights.T.ravel()], 4)
        lines.append(  # the product and the sum as separate statements: never an FMA
            f"double s = 0.0; int f; for (f = 0; f < {p.fan_in}; ++f) "
            f"{{ double p = {inp}[f] * {P}_W[j * {p.fan_in} + f]; s += p; }}"
        )
        S = None
    if not threshold:
        consts += _array("double", f"{P}_B", [_hex(v) for v in p.bias], 4)
        if S is None:
            lines.append(f"double z = s + {P}_B[j];")
        else:
            scale = f" * {_hex(2.0**-p.scale_exp)}" if p.scale_exp else ""  # exact: a power of 2
            lines.append(f"double sz = (double){S}{scale}; double z = sz + {P}_B[j];")
        fires = "z > 0"
    if fmt is None:
        lines.append(f"{out_name}[j] = z;")
    elif p.activation.kind == "qrelu":
        lines.append(_qrelu(p, "z", f"h{d + 1}[j]"))
    else:
        lines.append(_store(p, fmt, fires))
    body = (
        f"    for (j = 0; j < {p.units}; ++j) {{\n        " + "\n        ".join(lines) + "\n    }\n"
    )
    return consts, body


def c_string(text: str) -> str:
    r"""``text`` as a C (and C++) string literal of its UTF-8 bytes.

    Printable ASCII stays as it is, except ``"``, ``\`` and ``?`` (escaped, so no
    ``??`` trigraph forms); every other byte is a three-digit octal escape, which ends
    after three digits (a hex escape would swallow a following hex digit).

    Examples
    --------
    >>> print(c_string('say "hi"??! é'))
    "say \"hi\"\?\?! \303\251"
    """
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _label_names(net: Network) -> str:
    return ", ".join(c_string(str(c)) for c in class_labels(net).tolist())


def c_name(stem: str) -> str:
    """A C identifier made from a file name's stem."""
    name = re.sub(r"\W", "_", stem, flags=re.ASCII)
    return name if name[:1].isalpha() else f"ht_{name}"


def _input_type(p: LayerPlan) -> str:
    return {"packed": "uint32_t", "integer": "int8_t"}.get(p.kind, "double")


_PRELUDE = """\
/* Generated by hardtarget: a @DESCR@ network (@PATHS@).
 * Exact under gcc and clang at any -O level, -march and -std (C99 or later, or C++):
 * every product and sum is its own statement and contraction into FMA is switched off
 * below.  Refused at compile time: -ffast-math (or -Ofast) and x87 arithmetic
 * (FLT_EVAL_METHOD != 0, e.g. -m32 without SSE2, or -mfpmath=387).
 * Never compile with clang's -ffp-contract=fast: it ignores the pragma below. */
#include <float.h>
#include <math.h> /* NAN only: no libm function is called */
#include "@HEADER@"

#if defined(__FAST_MATH__)
#error "hardtarget export: -ffast-math or -Ofast breaks its float64 sums; drop that flag"
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
#error "hardtarget export: x87 extended precision (FLT_EVAL_METHOD != 0); use -mfpmath=sse"
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#elif defined(_MSC_VER)
#pragma fp_contract(off)
#else
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ht_popcount(v) ((uint32_t)__builtin_popcountl((unsigned long)(v)))
#else
static uint32_t ht_popcount(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}
#endif

const char *const @NAME@_class_names[@NCLASSES@] = {@LABELS@};

"""

_DOMAIN = {
    "sign": ("-1 or +1", "x[f] != 1.0 && x[f] != -1.0"),
    "binary": ("0 or 1", "x[f] != 0.0 && x[f] != 1.0"),
}


def _check_fn(name: str, n: int, k: int, inputs: str) -> str:
    """A static function telling whether a row is in the domain the export was made for."""
    if inputs not in _DOMAIN:
        return ""
    return (
        f"static int {name}_in_domain(const double *x)\n{{\n    int f;\n"
        f"    for (f = 0; f < {n}; ++f) if ({_DOMAIN[inputs][1]}) return 0;\n"
        "    return 1;\n}\n\n"
    )


_API = """\
@CHECK@void @NAME@_pack(const double *x, uint32_t *bits)
{
    int f;
    for (f = 0; f < @NWORDS@; ++f) bits[f] = 0;
    for (f = 0; f < @NFEAT@; ++f) if (x[f] > 0) bits[f >> 5] |= (uint32_t)1 << (f & 31);
}

void @NAME@_decision(const double *x, double *z)
{
@DCHECK@@CONVERT@    @NAME@_run(@RUNARG@, z);
}

int @NAME@_predict(const double *x)
{
    double z[@NOUT@];
@PCHECK@    @NAME@_decision(x, z);
    return @NAME@_label(z);
}

void @NAME@_predict_batch(const double *x, int32_t n, int32_t *out)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = @NAME@_predict(x + (long)i * @NFEAT@);
}

void @NAME@_decision_batch(const double *x, int32_t n, double *z)
{
    int32_t i;
    for (i = 0; i < n; ++i) @NAME@_decision(x + (long)i * @NFEAT@, z + (long)i * @NOUT@);
}
"""

_API_BITS = """
int @NAME@_predict_bits(const uint32_t *bits)
{
    double z[@NOUT@];
    @NAME@_run(bits, z);
    return @NAME@_label(z);
}

void @NAME@_predict_bits_batch(const uint32_t *bits, int32_t n, int32_t *out)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = @NAME@_predict_bits(bits + (long)i * @NWORDS@);
}
"""

_HEADER = """\
/* @NAME@: a hard-threshold network exported by hardtarget.
 * @NAME@_predict returns an index into @NAME@_class_names; @NAME@_decision writes the @NOUT@
 * output pre-activations, equal bit for bit to Network.decision_function.
 * Inputs: @INPUTS@. */
#ifndef @UNAME@_H
#define @UNAME@_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define @UNAME@_N_FEATURES @NFEAT@
#define @UNAME@_N_OUTPUTS @NOUT@
#define @UNAME@_N_CLASSES @NCLASSES@
#define @UNAME@_INPUT_WORDS @NWORDS@
#define @UNAME@_SIGN_INPUTS @SIGNIN@ /* 1: exported for inputs that are all -1 or +1 */
#define @UNAME@_BINARY_INPUTS @BININ@ /* 1: exported for inputs that are all 0 or 1 */

extern const char *const @NAME@_class_names[@NCLASSES@];
void @NAME@_pack(const double *x, uint32_t *bits);
void @NAME@_decision(const double *x, double *z);
int @NAME@_predict(const double *x);
void @NAME@_predict_batch(const double *x, int32_t n, int32_t *out);
void @NAME@_decision_batch(const double *x, int32_t n, double *z);
@BITSPROTO@
#ifdef __cplusplus
}
#endif
#endif /* @UNAME@_H */
"""

_BITS_PROTO = """int @NAME@_predict_bits(const uint32_t *bits);
void @NAME@_predict_bits_batch(const uint32_t *bits, int32_t n, int32_t *out);
"""


def _fill(template: str, values: dict) -> str:
    return re.sub(r"@(\w+)@", lambda m: str(values[m.group(1)]), template)


def _label_fn(net: Network, plans: list[LayerPlan]) -> str:
    k, act = net.widths[-1], net.activations[-1]
    if k > 1:
        body = (
            f"    int j, best = 0;\n    for (j = 1; j < {k}; ++j) if (z[j] > z[best]) best = j;\n"
            "    return best;\n"
        )
    elif act.kind == "qrelu":
        body = f"    double y;\n    {_qrelu(plans[-1], 'z[0]', 'y')}\n    return y == 1.0;\n"
    else:
        body = "    return z[0] > 0;\n"
    return "static int @NAME@_label(const double *z)\n{\n" + body + "}\n\n"


def _run_fn(plans: list[LayerPlan]) -> tuple[str, str]:
    """(constant arrays, the static function running every layer)."""
    consts, lines = (
        "",
        [
            f"static void @NAME@_run(const {_input_type(plans[0])} *x, double *zout)\n{{\n"
            "    int j;\n"
        ],
    )
    bodies = []
    for i, p in enumerate(plans):
        nxt = plans[i + 1] if i + 1 < len(plans) else None
        fmt = None if nxt is None else {"packed": "bits", "integer": "int8"}.get(nxt.kind, "double")
        c, body = _layer(p, fmt, "zout")
        consts += c
        bodies.append(body)
        if nxt is not None:
            size = _words(p.units) if fmt == "bits" else p.units
            lines.append(f"    {_input_type(nxt)} h{i + 1}[{size}];\n")
            if fmt == "bits":
                lines.append(f"    {{ int w; for (w = 0; w < {size}; ++w) h{i + 1}[w] = 0; }}\n")
    return consts, "".join(lines + bodies) + "}\n\n"


def _preprocess_fn(name: str, n: int, steps: list[Step]) -> tuple[str, str]:
    """(constant arrays, a static function applying the pipeline's steps feature by feature,
    one IEEE operation per statement as scikit-learn does them)."""
    if not steps:
        return "", ""
    consts, lines = "", []
    for i, s in enumerate(steps):
        if s.op in ("sub", "div", "mul", "add"):
            consts += _array("double", f"PRE{i}", [_hex(v) for v in s.floats], 4)
            sym = {"sub": "-", "div": "/", "mul": "*", "add": "+"}[s.op]
            lines.append(f"v = v {sym} PRE{i}[f];")
        elif s.op == "clip":
            lo, hi = (_hex(v) for v in s.floats)
            lines.append(f"if (v < {lo}) v = {lo}; if (v > {hi}) v = {hi};")
        else:
            lines.append(f"v = v > {_hex(s.floats[0])} ? 1.0 : 0.0;")
    fn = (
        f"static void {name}_preprocess(const double *x, double *xp)\n{{\n    int f;\n"
        f"    for (f = 0; f < {n}; ++f) {{\n        double v = x[f];\n        "
        + "\n        ".join(lines)
        + "\n        xp[f] = v;\n    }\n}\n\n"
    )
    return consts, fn


def c_sources(
    net: Network,
    name: str = "htnet",
    inputs: str = "real",
    header_name: str | None = None,
    steps: list[Step] | tuple = (),
) -> tuple[str, str]:
    """The ``(source, header)`` text of ``net`` as C99 (``name`` prefixes every symbol),
    after the preprocessing ``steps`` of a scikit-learn pipeline (see
    :mod:`hardtarget.export._pipeline`)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", name):
        raise HardTargetError(
            f"C name {name!r} must be an identifier (letters, digits, _), e.g. 'htnet'"
        )
    steps = list(steps)
    plan_network(net, inputs)  # validates `inputs`
    net_inputs = network_inputs(inputs, steps)
    plans = plan_network(net, net_inputs)
    n, first = net.n_features, plans[0]
    words = _words(n)
    low = 0 if net_inputs == "binary" else -1
    src = "xp" if steps else "x"
    pre_consts, pre_fn = _preprocess_fn(name, n, steps)
    convert = (f"    double xp[{n}];\n    {name}_preprocess(x, xp);\n" if steps else "") + {
        "packed": f"    uint32_t in[{words}];\n    {name}_pack({src}, in);\n",
        "integer": (
            f"    int8_t in[{n}]; int f;\n"
            f"    for (f = 0; f < {n}; ++f) in[f] = {src}[f] > 0 ? 1 : {low};\n"
        ),
    }.get(first.kind, "")
    domain = _DOMAIN.get(inputs)
    described = f"{n} doubles" + (f" (each {domain[0]})" if domain else "")
    if domain:
        described += (
            f"; {name}_predict returns -1 and {name}_decision writes NaN for a row with any "
            "other value"
        )
    if steps:
        described += (
            f"; {name}_decision first applies the pipeline's preprocessing ("
            + ", ".join(s.op for s in steps)
            + ")"
        )
    if first.kind == "packed":
        described += f", or {words} packed words to {name}_predict_bits (bit f%32 of word f/32: +1)"
        if steps:
            described += " of the preprocessed inputs"
    values = {
        "NAME": name,
        "UNAME": name.upper(),
        "NFEAT": n,
        "NWORDS": words,
        "SIGNIN": int(inputs == "sign"),
        "BININ": int(inputs == "binary"),
        "CHECK": _check_fn(name, n, net.widths[-1], inputs) + pre_fn,
        "PCHECK": f"    if (!{name}_in_domain(x)) return -1;\n" if domain else "",
        "DCHECK": (
            f"    if (!{name}_in_domain(x)) {{ int k; for (k = 0; k < {net.widths[-1]}; ++k) "
            "z[k] = NAN; return; }\n"
            if domain
            else ""
        ),
        "NOUT": net.widths[-1],
        "NCLASSES": len(class_labels(net)),
        "LABELS": _label_names(net),
        "HEADER": header_name or f"{name}.h",
        "CONVERT": convert,
        "RUNARG": src if first.kind == "float" else "in",
        "INPUTS": described,
        "DESCR": "-".join(map(str, (n, *net.widths))),
        "PATHS": ", ".join(f"layer {p.index}: {p.kind}" for p in plans),
        "BITSPROTO": _BITS_PROTO.replace("@NAME@", name) if first.kind == "packed" else "",
    }
    consts, run = _run_fn(plans)
    consts = pre_consts + consts
    api = _API + (_API_BITS if first.kind == "packed" else "")
    source = (
        _fill(_PRELUDE, values) + consts + "\n" + _fill(run + _label_fn(net, plans) + api, values)
    )
    return source, _fill(_HEADER, values)
