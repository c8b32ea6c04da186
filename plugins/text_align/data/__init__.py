"""Text data: datasets, the BEIR reader, the tokenising collate function and the no-duplicates batch sampler."""
from .beir import load_beir
from .beir_dataset import BEIRDataset
from .beir_ranking import BEIRRankingGroups, BEIRRerankPairs
from .bprop_collate import bprop_collate, mlm_mask
from .collate import tokenize_collate
from .cross_encoder_collate import cross_encoder_collate
from .graded_list_collate import graded_list_collate
from .graded_lists import GradedListDataset, read_graded_lists
from .independent_crops import independent_crops_collate, random_crop
from .parallel_sentences import ParallelSentences
from .representative_word_pairs import RepresentativeWordPairs
from .representative_words import (collection_distribution, dfr_scores, poisson_lengths, saturate,
                                   word_attention_from_tokens, word_set_pairs)
from .sentence_windows import SentenceWindowPairs, split_sentences, window_pairs
from .no_duplicates_sampler import NoDuplicatesBatchSampler
from .kfold import fold_split, stratified_folds
from .shipped_corpora import (LeeDocumentSimilarity, SameLabelPairs, gensim_test_data, read_labelled_sentences,
                              resolve_data_path)
from .text_datasets import NLITripletDataset, SentenceCorpus, TextPairDataset, read_records
from .token_chunks import TokenChunkCorpus

__all__ = ['BEIRDataset', 'LeeDocumentSimilarity', 'SameLabelPairs', 'read_labelled_sentences', 'fold_split',
           'stratified_folds', 'gensim_test_data', 'resolve_data_path', 'load_beir', 'tokenize_collate', 'independent_crops_collate', 'random_crop', 'NoDuplicatesBatchSampler', 'NLITripletDataset', 'SentenceCorpus',
           'TextPairDataset', 'TokenChunkCorpus', 'read_records', 'GradedListDataset', 'graded_list_collate',
           'read_graded_lists', 'SentenceWindowPairs', 'split_sentences', 'window_pairs',
           'ParallelSentences', 'bprop_collate', 'mlm_mask', 'RepresentativeWordPairs', 'collection_distribution',
           'dfr_scores', 'poisson_lengths', 'saturate', 'word_attention_from_tokens', 'word_set_pairs']
__all__ += ['BEIRRankingGroups', 'BEIRRerankPairs', 'cross_encoder_collate']  # B-PROP fine-tuning
from .lee_regression import LeeDocumentRegression, document_folds, lee_documents_and_scores, pairs_of  # noqa: E402

__all__ += ['LeeDocumentRegression', 'document_folds', 'lee_documents_and_scores', 'pairs_of']
# SPACE-2 dialogs
from .dialog_batch_sampler import SemiSupervisedBatchSampler  # noqa: E402
from .dialog_collate import dialog_collate, span_mlm  # noqa: E402
from .dialog_dataset import DialogTurnDataset, context_row  # noqa: E402
from .dialog_jsonl import parse_turn, read_dialogs, write_dialogs  # noqa: E402
from .dialog_tree import DEFAULT_DOMAIN, DEFAULT_INTENT, clean_frame, effective_frame, frame_from_fields  # noqa: E402

__all__ += ['SemiSupervisedBatchSampler', 'dialog_collate', 'span_mlm', 'DialogTurnDataset', 'context_row',
            'parse_turn', 'read_dialogs', 'write_dialogs', 'DEFAULT_DOMAIN', 'DEFAULT_INTENT', 'clean_frame',
            'effective_frame', 'frame_from_fields']
# end SPACE-2
