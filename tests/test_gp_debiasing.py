"""The gradient penalty's de-biasing, value - 2 lambda penalty, at the penalised optimum.

Theory (``docs/critics_in_d.md``, "What the de-biased value is"): at a maximiser f of
E_P f - E_Q f - lambda E_mu (|grad f| - 1)_+^2, the optimality condition says that the field
v = 2 lambda mu (|grad f| - 1)_+ grad f / |grad f| carries Q's mass onto P's
(div v = P - Q), and V - 2 lambda P equals the cost of that transport flow, 2 lambda
E_mu (|grad f| - 1)_+. By Beckmann's formulation of W1 (the least cost of any such flow) it
is therefore at least W1, with equality where the flow is forced (in 1-D, on a tree).

Checked on graphs, where every piece is finite and exact: nodes carry masses p and q, an edge
e = (i, j) of length l_e and weight mu_e has the slope g_e = (f_j - f_i) / l_e, the penalised
optimum is found by scipy's L-BFGS (the objective is concave), and W1 with the graph's
shortest-path metric comes from POT's network simplex, an independent solver.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph

ot = pytest.importorskip("ot")

LAM = 10.0


def _penalised_optimum(edges, length, mu, p, q, lam=LAM):
    """f maximising sum f (p - q) - lam sum mu (|g| - 1)_+^2, and (V, penalty, flow cost)."""
    i, j = edges.T

    def negative(f):
        g = (f[j] - f[i]) / length
        excess = np.maximum(np.abs(g) - 1.0, 0.0)
        value = f @ (p - q) - lam * (mu * excess**2).sum()
        dg = 2 * lam * mu * excess * np.sign(g) / length  # d penalty / d (f_j - f_i)
        grad = (p - q).copy()
        np.add.at(grad, j, -dg)
        np.add.at(grad, i, dg)
        return -value, -grad

    # BFGS to near the optimum, then Newton steps on the active edges (|g| > 1), where the
    # objective is quadratic: exact once the active set is right.
    f = scipy.optimize.minimize(negative, np.zeros(len(p)), jac=True, method="BFGS",
                                options={"gtol": 1e-9, "maxiter": 100000}).x
    for _ in range(20):
        grad = negative(f)[1]
        if np.abs(grad).max() < 1e-12:
            break
        g = (f[j] - f[i]) / length
        w = 2 * lam * mu * (np.abs(g) > 1) / length**2
        hess = np.zeros((len(p), len(p)))
        np.add.at(hess, (i, i), w)
        np.add.at(hess, (j, j), w)
        np.add.at(hess, (i, j), -w)
        np.add.at(hess, (j, i), -w)
        f = f - np.linalg.lstsq(hess, grad, rcond=None)[0]
    stationary = np.abs(negative(f)[1]).max() < 1e-10
    g = (f[j] - f[i]) / length
    excess = np.maximum(np.abs(g) - 1.0, 0.0)
    return f @ (p - q), (mu * excess**2).sum(), 2 * lam * (mu * excess).sum(), stationary


def _graph_w1(edges, length, n, p, q):
    adj = scipy.sparse.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n))
    metric = scipy.sparse.csgraph.shortest_path(adj.tocsr(), directed=False)
    return float(ot.emd2(p, q, metric))


def _geometric_graph(n, seed):
    """n random points in the unit square, each joined to its 4 nearest neighbours (Euclidean
    lengths, so shortest paths are unique almost surely), joined up into one component."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    dist = np.linalg.norm(x[:, None] - x[None], axis=-1)
    near = np.argsort(dist, axis=1)[:, 1:5]
    pairs = {tuple(sorted((a, b))) for a in range(n) for b in near[a]}
    pairs |= {(a, a + 1) for a in range(n - 1)}  # a chain through every node: connected
    edges = np.array(sorted(pairs))
    return edges, dist[edges[:, 0], edges[:, 1]], rng


def test_debiased_value_is_exact_on_a_path():
    # 1-D: the flow between two piles on a line is forced, so the penalised optimum's
    # de-biased value is W1 itself (the lecture's piles, L11: W1 = 5) whatever lambda and mu.
    p, q = np.array([3.0, 2, 1, 4]), np.array([1.0, 2, 4, 3])
    edges = np.array([[0, 1], [1, 2], [2, 3]])
    length = np.ones(3)
    w1 = _graph_w1(edges, length, 4, p, q)
    assert w1 == pytest.approx(5.0)
    for mu in (np.ones(3), np.array([0.2, 3.0, 0.7])):
        v, pen, flow, stationary = _penalised_optimum(edges, length, mu, p, q)
        assert stationary
        assert v - LAM * pen > w1  # the penalised objective itself over-reads ...
        assert v - 2 * LAM * pen == pytest.approx(w1, rel=1e-7)  # ... its de-biasing does not
        assert flow == pytest.approx(w1, rel=1e-7)


def test_debiased_value_exceeds_w1_where_the_penalty_is_thin_on_the_shortest_path():
    # A triangle: unit mass from A to B, the direct edge (length 1, weight m1) and a detour
    # through C (two edges of length 1, weight m2 each). By hand: with D = f_A - f_B > 2 and
    # f_C midway, the optimum solves 1 = 2 lam m1 (D - 1) + 2 lam m2 (D/2 - 1), so
    # D = (1 + 2 lam (m1 + m2)) / (2 lam m1 + lam m2); the detour carries
    # t = 2 lam m2 (D/2 - 1) at cost 2t and the de-biased value is 1 + t, against W1 = 1.
    m1, m2 = 0.01, 0.1
    edges = np.array([[0, 1], [0, 2], [2, 1]])
    length = np.ones(3)
    p, q = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    v, pen, flow, stationary = _penalised_optimum(edges, length, np.array([m1, m2, m2]), p, q)
    assert stationary
    big_d = (1 + 2 * LAM * (m1 + m2)) / (2 * LAM * m1 + LAM * m2)
    detour = 2 * LAM * m2 * (big_d / 2 - 1)
    assert big_d > 2 and detour == pytest.approx(2 / 3)
    assert _graph_w1(edges, length, 3, p, q) == pytest.approx(1.0)
    assert v - 2 * LAM * pen == pytest.approx(1 + detour, rel=1e-7)
    assert flow == pytest.approx(1 + detour, rel=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_debiased_value_is_the_cost_of_a_flow_and_at_least_w1(seed):
    # Random planar graphs, random piles, random edge weights: at the optimum V - 2 lambda P
    # is the flow's cost (the identity) and at least W1 (Beckmann).
    n = 40
    edges, length, rng = _geometric_graph(n, seed)
    p = rng.random(n) * (rng.random(n) < 0.4)
    q = rng.random(n) * (rng.random(n) < 0.4)
    p, q = p / p.sum(), q / q.sum()
    mu = rng.uniform(0.005, 0.1, len(edges))
    v, pen, flow, stationary = _penalised_optimum(edges, length, mu, p, q)
    assert stationary
    w1 = _graph_w1(edges, length, n, p, q)
    debiased = v - 2 * LAM * pen
    assert debiased == pytest.approx(flow, rel=1e-6)
    assert debiased >= w1 * (1 - 1e-7)
    assert v - LAM * pen >= debiased
