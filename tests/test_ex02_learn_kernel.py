"""ex02 learn_kernel: each check fails a plausible wrong answer, and unusual correct answers pass."""

from __future__ import annotations

import torch

from grader.catalog import ex02_learn_kernel as catalog
from tests.conftest import failed

MODULE = "ex02_learn_kernel"
ALL = {"learn_kernel[kernel_shape]", "learn_kernel[reproduces_notes_example]",
       "learn_kernel[recovers_true_kernel]", "learn_kernel[keeps_float64]"}


def gradient_descent(body: str, returned: str = "conv.weight.detach()[0, 0]", loss: str = "((conv(x) - y) ** 2).mean()",
                     lr: str = "lr", steps: str = "steps", size: str = "kernel_size") -> str:
    """The notes' loop as a submission, with pieces swapped for mutants."""
    return f"""
        import torch
        from torch import nn

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            conv = nn.Conv2d(1, 1, {size}, bias=False).to(X.dtype)
            x, y = X.reshape(1, 1, *X.shape), Y.reshape(1, 1, *Y.shape)
            {body}
            for _ in range({steps}):
                loss = {loss}
                conv.zero_grad()
                loss.backward()
                with torch.no_grad():
                    conv.weight -= {lr} * conv.weight.grad
            return {returned}
        """


def test_the_recovery_problems_are_well_conditioned_for_their_lr() -> None:
    """Every pinned recovery problem determines its kernel, and plain gradient descent with the
    pinned lr shrinks the error by at least 0.8 per step, so the pinned steps shrink it a billionfold."""
    for call, K in catalog.RECOVERY_PROBLEMS:
        X, Y, size = call.args
        kh, kw = catalog.strategies.as_pair(size)
        A = X.unfold(0, kh, 1).unfold(1, kw, 1).reshape(-1, kh * kw)
        eigenvalues = torch.linalg.eigvalsh(2 / A.shape[0] * A.T @ A)
        rate = max(abs(1 - call.kwargs["lr"] * eigenvalues.min()), abs(1 - call.kwargs["lr"] * eigenvalues.max()))
        assert rate <= 0.8 and rate ** call.kwargs["steps"] < 1e-9, (call.label, float(rate))
        assert torch.equal(catalog.cross_correlate(X, K), Y)
        assert kh * kw * 3 <= A.shape[0]


def test_the_notes_example_is_reproduced_but_not_determined() -> None:
    X, Y, _ = catalog.NOTES_EXAMPLE.args
    # On this X only the kernel's column sums matter: (3, 0, -3) reproduces Y however they are spread.
    spread_differently = torch.tensor([[3.0, 1.0, -1.0], [0.0, -2.0, -2.0], [0.0, 1.0, 0.0]])
    for K in (torch.tensor([[1.0, 0.0, -1.0]] * 3), spread_differently):
        assert torch.equal(catalog.cross_correlate(X, K), Y)


def test_returning_the_initial_kernel_fails_the_values(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch
        from torch import nn

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            return nn.Conv2d(1, 1, kernel_size, bias=False).to(X.dtype).weight.detach()[0, 0]
        """)
    assert failed(results) == {"learn_kernel[reproduces_notes_example]", "learn_kernel[recovers_true_kernel]",
                               "learn_kernel[keeps_float64]"}
    message = results["learn_kernel[reproduces_notes_example]"].message
    assert "||X * K - Y|| / ||Y||" in message and "the notes' vertical-edge example" in message


def test_returning_the_4d_weight_fails_the_shape(grade_source) -> None:
    results = grade_source(MODULE, gradient_descent("", returned="conv.weight.detach()"))
    assert failed(results) == ALL
    message = results["learn_kernel[kernel_shape]"].message
    assert "has shape (1, 1, " in message and f"recognised mistake: {catalog.WEIGHT_RETURNED.name}" in message


def test_swapping_the_kernel_size_tuple_fails_the_shape(grade_source) -> None:
    results = grade_source(MODULE, gradient_descent(
        "", size="kernel_size if isinstance(kernel_size, int) else (kernel_size[1], kernel_size[0])"))
    assert "learn_kernel[kernel_shape]" in failed(results)
    assert "learn_kernel[recovers_true_kernel]" in failed(results)


def test_a_least_squares_solver_is_forbidden(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            A = X.unfold(0, kh, 1).unfold(1, kw, 1).reshape(-1, kh * kw)
            return torch.linalg.lstsq(A, Y.reshape(-1, 1)).solution.reshape(kh, kw)
        """)
    assert failed(results) == ALL
    assert all(r.status == "forbidden" for r in results.values())
    assert "torch.linalg.lstsq" in results["learn_kernel[kernel_shape]"].message


def test_the_normal_equations_are_forbidden_too(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            A = X.unfold(0, kh, 1).unfold(1, kw, 1).reshape(-1, kh * kw)
            return (torch.linalg.pinv(A) @ Y.reshape(-1)).reshape(kh, kw)
        """)
    assert all(r.status == "forbidden" for r in results.values())


def test_a_summed_loss_diverges_with_the_given_lr(grade_source) -> None:
    results = grade_source(MODULE, gradient_descent("", loss="((conv(x) - y) ** 2).sum()"))
    assert failed(results) == ALL - {"learn_kernel[kernel_shape]"}
    assert f"recognised mistake: {catalog.DIVERGED.name}" in results["learn_kernel[recovers_true_kernel]"].message


def test_ignoring_lr_does_not_converge(grade_source) -> None:
    results = grade_source(MODULE, gradient_descent("", lr="0.001"))
    assert failed(results) == {"learn_kernel[recovers_true_kernel]", "learn_kernel[keeps_float64]"}
    message = results["learn_kernel[recovers_true_kernel]"].message
    assert "random 7x9 input, 2x3 kernel" in message and "recognised mistake" not in message


def test_learning_the_flipped_kernel_fails(grade_source) -> None:
    results = grade_source(MODULE, gradient_descent("", loss="((conv(x) - y.flip(2, 3)) ** 2).mean()",
                                                    returned="conv.weight.detach()[0, 0].flip(0, 1)"))
    assert {"learn_kernel[reproduces_notes_example]", "learn_kernel[recovers_true_kernel]"} <= failed(results)


def test_a_float32_result_for_float64_inputs_fails_keeps_float64(grade_source) -> None:
    source = gradient_descent("x, y = x.float(), y.float()").replace(".to(X.dtype)", "")
    results = grade_source(MODULE, source)
    assert failed(results) == {"learn_kernel[keeps_float64]"}
    message = results["learn_kernel[keeps_float64]"].message
    assert "dtype torch.float32, expected torch.float64" in message and "dtype not preserved" in message


def test_a_bias_left_in_the_conv_still_passes(grade_source) -> None:
    source = gradient_descent("").replace("bias=False", "bias=True").replace(
        "conv.weight -= lr * conv.weight.grad", "conv.weight -= lr * conv.weight.grad; conv.bias -= lr * conv.bias.grad")
    assert failed(grade_source(MODULE, source)) == set()


def test_hand_written_gradients_with_unfold_pass(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
            A = X.double().unfold(0, kh, 1).unfold(1, kw, 1).reshape(-1, kh * kw)
            y = Y.double().reshape(-1)
            k = torch.zeros(kh * kw, dtype=torch.float64, device=X.device)
            for _ in range(steps):
                k = k - lr * 2 / len(y) * (A.T @ (A @ k - y))
            return k.reshape(kh, kw).to(X.dtype)
        """)
    assert failed(results) == set()


def test_an_optimiser_and_a_hand_written_conv_pass(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch

        def corr(X, K):
            return torch.einsum("ijab,ab->ij", X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1), K)

        def learn_kernel(X, Y, kernel_size, lr=0.001, steps=400):
            if isinstance(kernel_size, int):
                kernel_size = [kernel_size, kernel_size]
            K = torch.randn(*kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
            optimiser = torch.optim.SGD([K], lr=lr)
            for _ in range(steps):
                optimiser.zero_grad()
                torch.nn.functional.mse_loss(corr(X, K), Y).backward()
                optimiser.step()
            return K
        """)
    assert failed(results) == set()
