"""Where the corpus's mistakes and styles were seen: files of public repositories at one commit (their
notebooks of the course's step-by-step assignment, or a student's .py copy of it) and forum threads. We hold
none of their code; each corpus entry is our own reproduction."""
from __future__ import annotations

from . import github

V8A = "Building_your_Deep_Neural_Network_Step_by_Step_v8a.ipynb"
NEW = "Building_your_Deep_Neural_Network_Step_by_Step.ipynb"
V3 = "Building+your+Deep+Neural+Network+-+Step+by+Step+v3.ipynb"
V4 = "Building+your+Deep+Neural+Network+-+Step+by+Step+v4.ipynb"
V8 = "Building+your+Deep+Neural+Network+-+Step+by+Step+v8.ipynb"
SPACED = "Building%20your%20Deep%20Neural%20Network%20-%20Step%20by%20Step.ipynb"

# --- wrong versions ----------------------------------------------------------------------------------------
KASHMALCH = github("KashmalCh/Building_your_Deep_Neural_Network_Step_by_Step_v8a",
                   "f3f22f662b3e1b8f74fefd0e69a806387a4792ca", V8A)
ALI_ASGAR = github("Ali-Asgar-Lakdawala/Neural-Networks-and-Deep-Learning", "31d67c8dcb65df0e769f92326dedd884d325d038",
                   NEW)
MARCOS = github("MarcosSoares10/Neural-Networks-and-Deep-Learning", "2150deb5c0afa3ce6930481465ff325c29a99447", NEW)
OYAVUZJR = github("oyavuzjr/Deep-Learning-Specialization", "660b5d16062a4b7a5048f3abbe791276160d6902", SPACED)
MEETDOSHI = github("meetdoshi90/ML-Practice", "03946635726acedf63d38fca5bf0e94e7710a87a",
                   ".ipynb_checkpoints/Building%20your%20Deep%20Neural%20Network%20-%20Step%20by%20Step-checkpoint.ipynb")
ZAHORECZ = github("ZahoreczTibor/Deeplearning.ai-course", "5f2ef9cfef52324def2d4e8c858cf13e3f202ee9", V3)
ADEM_ILHAN = github("adem-ilhan/Coursera-deeplearning", "b0b119b114b9b5d18e2b8656969520fad347cb8f", V8)
ANWAR = github("Anwar9Ibrahim/Coursera-neural-networks-deep-learning", "0f466136a43a42b1a45d8279674a985e0bdb7d78", NEW)
MANISHJAIN = github("manishjain15051982/Deep-Learning", "1809c9279833ea7dc4831c8b1aca5752f53d200d", V3)
RAHULPANT = github("RahulPant1/DeepLearningBasics", "474b7dd1e0b49a2c46f454e09fd5381a9e81221f", V8)
KIM6LE = github("kim6le/coursera_specialization_deep_learning", "3ea645aa2e08d0afe92dc92ddd19487e9fb889e3", V3)
SOTERO = github("50sotero/Building-your-Deep-Neural-Network-Step-by-Step", "d2982fbc70afef619c8d4d455d3e4ec8e01a8b00", V8A)
MITUVINCI = github("Mituvinci/assinment_2", "56bb5210da61d985d6ce663f413376ab945384bb",
                   "Building+your+Deep+Neural+Network+-+Step+by+Step.ipynb")
IAAYUSH = github("i-aayush/Deep-Learning--Andrew-Ng", "be47a40db82a8667d311404bfdf53c6948980c0e", V3)
TOSMAHDESS = github("Tosmahdess/Building-your-Deep-Neural-Network---Step-by-Step-v8",
                    "0a5b55d0950004d927f2b53aeb96075e6a422aa4", V8)
AK121297 = github("ak121297/Building-your-Deep-Neural-Network-Step-by-Step", "be035b3e5c12043f8d4e1db5e67fd880750a1999",
                  V8)
GKARMAKAR = github("GKarmakar/deepLearning.ai-Specialization", "cbbd4d5dbc256d2f40e3962ea7bcb9df2b11cc9c", V3)
OYWW710 = github("oyww710/Deep-Learning", "383379822dc832ebd21a83a954475e920f550a00", V4)
ASHISH265 = github("Ashish265/Neural-Networks-and-Deep-Learning", "8aa434c17bb236aa64b0bf0c37e475a9828791d6", V8)
DINOGI = github("DinoGi/deeplearningcourse1", "97a6f831b28b21e97415e56e63e29e25e93283e0", V8)
ABDALLAHNU = github("AbdallahNU/DL", "d035a0709180409a499db80d35d92afd664f3bfd", NEW)
EXJUSTICE = github("EXJUSTICE/Coursera-Neural-Networks-And-Deep-Learning", "cc83b90f376259d4dc65e602881ce3375bfada3f", V8)
STEPHEN_CHOI = github("Stephen-Choi/Deep-Learning-Specialization", "a59d615bcf5056677b558a47ba3a63f8dfb6bca6", V8)
SUVRALIPI = github("Suvralipi/Deep-Learning", "fb13ad7c51bcc76565d9647396b71a1b32bc919f", V8)
VIGNAAN = github("VignaanVardhan/neuralnetwork", "b1ffb7f85f6dc6db0ec2198fb550e7094b4e46eb", V8)
MZ_MAKOS = github("MZ-Makos/DeepLearning.io", "88c312fe49386b00e2280bca4235aa4a529568f7", NEW)
AZUTSHI = github("azutshi/Deep-Learning-Excercises", "8ce2401bff82a203c722fe25b24625af1c298054", V8)
ASH1605 = github("AsH1605/Deep-Learning-Specialization", "65f21307ed2e62f5d25c375a3fbb0f69428518da", NEW)
CHRISPHAM = github("ChrisPham-0502/Deep_learning_from_Coursera", "4ceb7b4f581dd98bbf60d3ca755b49f3f3b5a1f8",
                   "Course%201/" + NEW)
DEVDIVYANSH = github("DevDivyansh0b/Deep-learning-Specialization-by-Coursera", "cdc21645c35e04d174ff59356a0b77a2fb4a8029",
                     NEW)
FRANKSHI = github("FrankShi9/Deep-Learning-Specialization-Coursework", "f76f44b4354e753a9df4ec64f9200b9c41382a04", NEW)
HAMNA = github("Hamna2023/Neural-Network-and-Deep-learning", "2b09cc3424f842424c3a963bce98510413b89571", NEW)
ADRI101 = github("Adri101/DeepLearningCoursera", "abca83df652f7975f48070108aab12ce232e003c", V8A)
BARAVNI = github("BarAvni/deep-learning-coursera", "b6f465dd7fff0dc4a215826c2e7b7a6f31ab97ec",
                 "Neural%20Networks%20and%20Deep%20Learning/" + SPACED)
HSAYER = github("HSayer44/Neural-Networks-and-Deep-Learning", "a4d9e0b8fc2df7704a5dc3f73af60edcc24125c9",
                "Neural%20Networks%20and%20Deep%20Learning/" + NEW)
ADHM989 = github("Adhm989/building-deep-neural-network-from-scratch-", "b68701f1fef39218216200007b555afdac234d5c", V8A)
YANHAO = github("Yanhao29/DeepLearningAI_1_NeuronNetworksAndDeepLearning", "c7684e79fac5f042e355cac3cfc8646112c98950",
                V3)
ANKITTAXAK = github("ankittaxak5717/Deeplearning", "f395b31e8de3e28fbc359d2c718e2ace4944b6b2", V8)
SUPERALEX = github("superAlexYang/Deeplearning_Assignment", "2dab8d6f8792e8066b1745a3e23cdb01bb9a5e84", V4)
HOANGNT = github("Hoangnt1209/DPL302m-Group6", "3e75e8b7f277609a4f405d3864c5444a6f399a0c", "lab1/" + NEW)
ARUNMUNAGALA = github("ArunMunagala7/Coursera", "5b8d5affbea4f294d033e01d11842b9abf0c900e", NEW)
AKANKSHYA = github("Akankshya-ap/Coursera--Deep-Learning", "5084cf5e4bc0d8a81c56276730c9ffff077a96c2",
                   "Building+your+Deep+Neural+Network+-+Step+by+Step+v8%20(1).ipynb")
TITONMOY = github("titonmoy/AI-Saturday", "ff9884a17790092afcf08dd56760262a5c4d6372",
                  "Session-2/Building+your+Deep+Neural+Network+-+Step+by+Step.ipynb")
ALIBAHERI = github("AliBaheri/Deep-Learning-AndrewNg", "550cec07387ae44e74c15d4841d8dc04644ed67d",
                   "Neural%20Networks%20and%20Deep%20Learning/" + V3)
AQEELALTAF = github("AqeelAltaf/Andrew-NG-Deep-Learning-Course-1", "d4998dd39a43199d636a54d9f21273e88da1da2e", V8)
RAY950611 = github("Ray950611/Coursera_Deep_Learning", "2cc9a3414c621eded39c828d23ba99cf113ffc61", V8)
ANIKETT = github("anikett12/Deeplearning.ai-Neural-Network-And-Deep-Learning", "5641b6822e07676a3942fc9626cba52db517ab74",
                 V8)
BISHNUMURMU = github("bishnumurmu/Deep-Learning-Specialization", "70ed4a3a9cd22a5fe57a49c04cbcc15edbd02cfd", V8)
RUDRA = github("rudra0412/Cat-vs-Non-cats-Deep-learning-Implementation", "57ffe7294c9cf01d9edfb44f4d9dbee730e4114e",
               SPACED)
CODELOOP = github("codeloop/Neural-Networks-and-Deep-Learning", "e40ca4161ba2189e22e68aa0eb7b5840231f1091", V4)
SABDULLAHJ = github("SABDULLAHJ/Neural-Networks-and-Deep-Learning-by-deeplearning.ai",
                    "f9715cc6bc76954aaf5f590e85f1b46b98e642d0", V8)
LIANGUANG = github("LianguangXue/Deeplearning-AI", "9c20b3173bd6595bccfa305783c5703004176a6e", V8)
ASABOVICI = github("asabovici/ml_notebooks", "513a723ec4f0a62bdecc6d810f517586a4525df6", V8)
ANUGYA = github("AnugyaSahu/Machine-learning", "ccf5611b2e07ab814bdea0330c34d357cb16de2b", V8A)
LULULU = github("Lululucyyyyyyy/coursera1", "72cde39369f724456837f0cceaf8c269716f8079", V8)
PRADHY = github("Pradhy729/DeepLearning.ai-coursework", "a05d4b99cc9c419e983d5cfb3bb46bcfb7a584cf", V8)
FTM1997 = github("FtM1997/Neural-Networks-and-Deep-Learning-Coursera-", "aaef5449a78fa8b78d26242b1dcae7eac6a8ba87", NEW)
SDSOURAV = github("SdSourav/dl-projects", "3b3969e59ba4592d377b02c58eb2f71296d9bbb7", SPACED)

# forum threads (community.deeplearning.ai) where a student showed the mistake and its error
FORUM_LINEAR_BACKWARD = "https://community.deeplearning.ai/t/exercise-7-linear-backward/241052"

# --- correct versions, one for each style the correct corpus uses -----------------------------------------------
STYLE_SHAPE_VARIABLES = github("50sotero/Building-your-Deep-Neural-Network-Step-by-Step",
                               "d2982fbc70afef619c8d4d455d3e4ec8e01a8b00", V8A)
STYLE_FSTRING = github("LeQuangDuy178/Deep-Neural-Network-Building-Models", "3c01ccf90bc26bb8db2c2affcea9da2ec3259778",
                       NEW)
STYLE_FSTRING_FORWARD = github("Aquila0911/Cat-Image-Classifier", "7928d847c101d47080072bb3f5cbf47bacc4585c", NEW)
STYLE_PERCENT_FORMAT = github("Anoopcna/Deep-Learning-Specialization", "a59356d385fd49bcc42f5f100f5ac233f1d56b9f", NEW)
STYLE_MATMUL = github("Basit-Imam/coursera-deep-learning", "a8d0fd85724a659b309f9465440fad8fcd7b01d6", V8A)
STYLE_AT_OPERATOR = github("Bibhuti5/Building-your-Deep-Neural-Network-Step-by-Step",
                           "34223c9de99f514f51638a376c456447bd18cdb5", V8A)
STYLE_NP_TRANSPOSE = github("hafizur-rahman/Deep-Learning-Coursera--deeplearning.ai",
                            "06a3ca073b83896bcc2d31536542160f5c9a1321", V4)
STYLE_KEEPDIMS_FIRST = github("AbodSinan/Coursera-Deep-Learning", "43f0a1419df1e67cf91dfbec4ce5ad2444acd7bb", V8)
STYLE_SUM_METHOD = github("David406/AndrewNG-DeepLearning-1", "6986a06d8d67c6ca9fc32b3ed3e2e18e0c9d83f6", V8)
STYLE_ONE_OVER_M = github("15703396763/Building-your-Deep-Neural-Network", "e06f59425d1cadd6d5137978ee35d8cd8fd7e4fa",
                          V8A)
STYLE_DOT_COST = github("Alaidah/Building_Deep_Neural_Network_Step_by_Step", "1819b8a32e78383ee6b83b85bb9edb3c6f736124",
                        V8A)
STYLE_DEEPCOPY = github("ErsinOzturk10/Building-your-Deep-Neural-Network-Step-by-Step",
                        "db9d71ab1bd608411a32e9fb28cb53f582e6da1b", NEW)
STYLE_DICT_COPY = github("Abdulaziz862/Building-your-Deep-Neural-Network-Step-by-Step",
                         "3d757e407aee6ff91e9a0fe53b2e19dfa7bda5f4", NEW)
STYLE_IN_PLACE = github("50sotero/Building-your-Deep-Neural-Network-Step-by-Step",
                        "d2982fbc70afef619c8d4d455d3e4ec8e01a8b00", V8A)
STYLE_HELPERS_DIRECT = github("FatimaTasnim/Neural-Networks-and-Deep-Learning-Coursera",
                              "227c0f5c2c0b60ba6a935a2067b7a29913c6e816", V8)
STYLE_LAST_CACHE_MINUS_ONE = github("Kapoorrashi/week4", "5ab8f6446b582f5c59196f9df86304423997f360", V8A)
STYLE_PLAIN_DIVISION = github("AbdelrhmanMagdy/NN-DL", "cb99f87e1865fbbe3a67b4d4f1692562ecaa0731", V8)
