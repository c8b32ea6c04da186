# The baseline of the MOFI demo: a plain image-text CLIP with the same tiny ViT and text tower, trained with the
# symmetric InfoNCE on the demo's noisy alt-texts (tools/demo_mofi.py writes them), same batch, schedule and
# evaluation as ./mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py. It is also the CLIP that filters I2E's
# candidate entities in the demo.
_base_ = './mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
model = dict(_delete_=True, type='CLIPPretrainer',
             image_encoder=dict(type='CLIPViT', arch='tiny', out_indices=(-1, ), with_embeddings=True),
             text_encoder=dict(type='CLIPTextTransformer', arch='tiny', context_length={{_base_.context_length}}),
             init_temperature=0.07, class_names={{_base_.entities}}, templates=('{}', ),
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=[122.771, 116.746, 104.094],
                                    std=[68.501, 66.632, 70.323], bgr_to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='SampleCaption'),
    dict(type='TokenizeCaption', context_length={{_base_.context_length}}),
    dict(type='PackImageCaption'),
]
train_dataloader = dict(dataset=dict(_delete_=True, type='ImageCaptionDataset', data_root={{_base_.data_root}},
                                     ann_file='i2e/alt_text_train.csv', data_prefix=dict(img=''),
                                     pipeline=train_pipeline))
