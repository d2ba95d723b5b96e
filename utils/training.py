"""Small training helpers the lessons share."""
from __future__ import annotations


def reference_training_step(model, batch, optimizer, scheduler) -> float:
    """One step of a plain PyTorch loop (the reference for lesson 05's exercise): returns the batch loss."""
    model.train()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return loss.item()
