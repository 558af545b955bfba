"""The stages of a clip's journey to a model input: video file -> frames -> aligned face crops -> TIM/flow.

``video`` reads clips (videos and frame folders); ``landmarks`` finds the face and its 478 dense
landmarks, head pose and blendshapes (LiteRT); ``face`` stabilises the face into aligned crops;
``temporal`` resamples time (TIM) and measures optical flow; ``inputs`` turns crops into the tensor a
model reads. Nothing here knows about models or training.
"""
