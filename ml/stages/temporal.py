"""Time: TIM temporal interpolation, normalised-time mapping, optical flow and optical strain.

TIM (Zhou, Zhao and Pietikäinen's Temporal Interpolation Model) treats a clip of ``n`` frames as ``n``
points on a path graph. The non-trivial eigenvectors of the path graph's Laplacian embed the frames on a
continuous curve ``F(t)`` in ``R^(n-1)``; a linear map fitted from the (centred) frames to their curve points
is inverted at new positions on the curve to synthesise frames at any time. For the path graph the
eigenvectors are known in closed form,

    y_k(i) = sqrt(2/n) cos(pi k (i + 1/2) / n),   i = 0..n-1,  k = 1..n-1,

and the curve extends them to continuous ``s`` in ``[0, n-1]``. Because the eigenvectors are orthonormal
and orthogonal to the constant vector, the least-squares map and its pseudo-inverse reduce to a fixed
interpolation kernel over the source frames,

    x(s) = sum_i x_i (1/n + sum_k y_k(i) y_k(s)),

whatever the rank of the data (the PCA step of the original formulation changes nothing once all
``n - 1`` components are kept). The kernel is exact at source frames (so endpoints are preserved) and
smooth in between. :func:`tim_interpolate` computes it directly, which is far cheaper than an SVD of
``(n, H*W*3)`` data.

Normalised time ``tau`` in ``[0, 1]`` maps linearly to 0-based source positions ``tau * (n - 1)``;
TIM's own curve parameter ``t`` in ``[1/n, 1]`` is the same mapping (``t = (s + 1) / n`` at frames).
"""

from __future__ import annotations

import cv2
import numpy as np

from ml.rules import frame_to_normalized, normalized_to_frame

__all__ = [
    "FLOW_METHODS",
    "flow_polar",
    "frame_to_normalized",
    "normalized_to_frame",
    "optical_flow",
    "optical_strain",
    "path_graph_embedding",
    "photometric_residual",
    "tim_interpolate",
    "tim_kernel",
]

#: Optical-flow methods :func:`optical_flow` knows; ``"tvl1"`` needs opencv-contrib (``cv2.optflow``).
FLOW_METHODS: tuple[str, ...] = ("farneback", "dis", "tvl1")


def path_graph_embedding(n: int, positions: np.ndarray | None = None) -> np.ndarray:
    """Laplacian-eigenvector coordinates of a path graph with ``n`` nodes.

    Args:
        n: number of frames (nodes), at least 2.
        positions: 0-based positions in ``[0, n-1]`` (may be fractional) at which to evaluate the
            continuous curve; None means the nodes ``0..n-1``.

    Returns:
        ``(len(positions), n - 1)``: column ``k-1`` is the k-th eigenvector (eigenvalue
        ``2 - 2 cos(pi k / n)``), orthonormal over the nodes.
    """
    if n < 2:
        raise ValueError(f"a path graph needs at least 2 nodes, got {n}")
    s = np.arange(n, dtype=np.float64) if positions is None else np.asarray(positions, dtype=np.float64)
    k = np.arange(1, n, dtype=np.float64)
    return np.sqrt(2.0 / n) * np.cos(np.pi * np.outer(s + 0.5, k) / n)


def tim_kernel(n_src: int, num_frames: int) -> np.ndarray:
    """TIM weights that resample ``n_src`` frames to ``num_frames`` evenly spaced in time.

    Returns:
        ``(num_frames, n_src)`` float64; row ``j`` holds the weights of the source frames for output ``j``.
    """
    if n_src < 2:
        raise ValueError(f"TIM needs at least 2 source frames, got {n_src}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    positions = np.linspace(0.0, n_src - 1.0, num_frames) if num_frames > 1 else np.array([0.0])
    src = path_graph_embedding(n_src)  # (n_src, n_src-1)
    new = path_graph_embedding(n_src, positions)  # (T, n_src-1)
    return 1.0 / n_src + new @ src.T


def _linear_kernel(n_src: int, num_frames: int) -> np.ndarray:
    positions = np.linspace(0.0, n_src - 1.0, num_frames) if num_frames > 1 else np.array([0.0])
    lo = np.clip(np.floor(positions).astype(int), 0, n_src - 2)
    frac = positions - lo
    kernel = np.zeros((num_frames, n_src))
    rows = np.arange(num_frames)
    kernel[rows, lo] = 1.0 - frac
    kernel[rows, lo + 1] += frac
    return kernel


def tim_interpolate(frames: np.ndarray, num_frames: int = 16, *, method: str = "tim") -> np.ndarray:
    """Resample a frame sequence to ``num_frames`` frames evenly spaced over the same time span.

    Args:
        frames: ``(N, ...)`` any dtype, ``N >= 2`` (e.g. ``(N, H, W, 3)`` uint8 crops).
        num_frames: output length T.
        method: ``"tim"`` (Temporal Interpolation Model) or ``"linear"`` (plain linear interpolation).

    Returns:
        ``(num_frames, ...)`` float32. With ``"tim"`` values may slightly over/undershoot the input range
        between frames (the model is a smooth curve); clip before casting to uint8.
    """
    arr = np.asarray(frames)
    if arr.ndim < 1 or arr.shape[0] < 2:
        raise ValueError(f"tim_interpolate needs at least 2 frames, got shape {arr.shape}")
    if method == "tim":
        kernel = tim_kernel(arr.shape[0], num_frames)
    elif method == "linear":
        kernel = _linear_kernel(arr.shape[0], num_frames)
    else:
        raise ValueError(f"unknown interpolation method {method!r}; use 'tim' or 'linear'")
    flat = arr.reshape(arr.shape[0], -1).astype(np.float32)
    out = kernel.astype(np.float32) @ flat
    return out.reshape((num_frames, *arr.shape[1:]))


def _gray(image: np.ndarray) -> np.ndarray:

    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = cv2.cvtColor(
            np.ascontiguousarray(arr.astype(np.uint8) if arr.dtype != np.uint8 else arr), cv2.COLOR_RGB2GRAY
        )
    elif arr.ndim != 2:
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def optical_flow(prev: np.ndarray, nxt: np.ndarray, method: str = "farneback") -> np.ndarray:
    """Dense optical flow from ``prev`` to ``nxt``.

    Args:
        prev, nxt: ``(H, W)`` or ``(H, W, 3)`` RGB images of the same size (uint8 or float in 0..255).
        method: ``"farneback"``, ``"dis"`` (OpenCV DIS, medium preset) or ``"tvl1"`` (Dual TV-L1, only
            with opencv-contrib installed).

    Returns:
        ``(H, W, 2)`` float32: ``flow[y, x] = (dx, dy)`` so that ``prev[y, x] ~ nxt[y + dy, x + dx]``.
    """

    a, b = _gray(prev), _gray(nxt)
    if a.shape != b.shape:
        raise ValueError(f"frames differ in size: {a.shape} vs {b.shape}")
    if method == "farneback":
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)  # type: ignore[call-overload]
    elif method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]
        flow = dis.calc(a, b, None)
    elif method == "tvl1":
        optflow = getattr(cv2, "optflow", None)
        if optflow is None:
            raise ValueError(
                "optical flow 'tvl1' needs opencv-contrib-python-headless (<5); use 'farneback' or 'dis'"
            )
        flow = optflow.DualTVL1OpticalFlow_create().calc(a, b, None)
    else:
        raise ValueError(f"unknown optical flow method {method!r}; known: {', '.join(FLOW_METHODS)}")
    return np.asarray(flow, dtype=np.float32)


def flow_polar(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude and orientation of a flow field.

    Args:
        flow: ``(H, W, 2)`` (dx, dy).

    Returns:
        ``(magnitude, orientation)``, both ``(H, W)`` float32; orientation in radians in ``(-pi, pi]``,
        ``atan2(dy, dx)`` in image axes (y down).
    """
    f = np.asarray(flow, dtype=np.float32)
    if f.ndim != 3 or f.shape[2] != 2:
        raise ValueError(f"flow must be (H, W, 2), got {f.shape}")
    return np.hypot(f[..., 0], f[..., 1]), np.arctan2(f[..., 1], f[..., 0])


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """Optical strain magnitude of a flow field.

    With ``u, v`` the flow components and central-difference derivatives, the strain tensor is
    ``e_xx = u_x``, ``e_yy = v_y``, ``e_xy = e_yx = (u_y + v_x) / 2`` and the magnitude is its Frobenius
    norm ``sqrt(u_x^2 + v_y^2 + (u_y + v_x)^2 / 2)``.

    Args:
        flow: ``(H, W, 2)``.

    Returns:
        ``(H, W)`` float32.
    """
    f = np.asarray(flow, dtype=np.float64)
    if f.ndim != 3 or f.shape[2] != 2 or min(f.shape[:2]) < 2:
        raise ValueError(f"flow must be (H, W, 2) with H, W >= 2, got {f.shape}")
    u_y, u_x = np.gradient(f[..., 0])
    v_y, v_x = np.gradient(f[..., 1])
    return np.sqrt(u_x**2 + v_y**2 + 0.5 * (u_y + v_x) ** 2).astype(np.float32)


def photometric_residual(frames: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """What is left of each frame after the best gain and offset of ``reference``: ``(T, H, W, C)``.

    Per frame t and channel c, ``frames[t, ..., c] - (a * reference[..., c] + b)`` with ``(a, b)`` the least
    squares fit over all pixels. A uniformly brighter, darker or higher-contrast copy of the reference
    leaves 0; a local change (an expression) is kept, less its tiny share of the fitted gain and
    offset. A flat reference (no contrast) fits the offset alone.
    """
    frames = np.asarray(frames, dtype=np.float32)
    ref = np.asarray(reference, dtype=np.float32)
    ref_c = ref - ref.mean(axis=(0, 1), keepdims=True)  # (H, W, C)
    frames_c = frames - frames.mean(axis=(1, 2), keepdims=True)  # (T, H, W, C)
    var = np.einsum("hwc,hwc->c", ref_c, ref_c)
    cov = np.einsum("thwc,hwc->tc", frames_c, ref_c)
    gain = np.where(var > 1e-12, cov / np.maximum(var, 1e-12), 0.0).astype(np.float32)  # (T, C)
    return frames_c - gain[:, None, None, :] * ref_c[None]
