"""A thin wrapper over a LiteRT interpreter: bytes in, numpy arrays out."""

from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter


class TfliteModel:
    """One TFLite model held in memory; ``run`` feeds the single input and returns every output."""

    def __init__(self, content: bytes, *, num_threads: int = 1) -> None:
        self.interpreter = Interpreter(model_content=content, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.output_indices = [d["index"] for d in self.interpreter.get_output_details()]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        self.interpreter.set_tensor(self.input_index, np.ascontiguousarray(tensor, dtype=np.float32))
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(i).copy() for i in self.output_indices]
