//! The words the synthetic district is written with: streets, enterprise names, people, and
//! hazards as inspectors write them.

/// Streets and towns of the district, in the order they are created (at most 40 are used).
pub(super) const STREETS: &[&str] = &[
    "东城街道",
    "西关街道",
    "南湖街道",
    "北苑街道",
    "青山街道",
    "白沙街道",
    "金桥街道",
    "新华街道",
    "长安街道",
    "和平街道",
    "解放街道",
    "文化街道",
    "建设街道",
    "人民街道",
    "胜利街道",
    "光明街道",
    "龙泉街道",
    "凤凰街道",
    "石桥街道",
    "杨柳街道",
    "桃园街道",
    "梨园街道",
    "高新街道",
    "兴隆街道",
    "永安街道",
    "太平街道",
    "玉泉街道",
    "清河街道",
    "银河街道",
    "东风街道",
    "柳林镇",
    "河口镇",
    "王舍镇",
    "马家镇",
    "双山镇",
    "大明镇",
    "黄河镇",
    "枣林镇",
    "孙耿镇",
    "仁里镇",
];

/// The short district name enterprise names begin with.
pub(super) const DISTRICT: &str = "青川区";
pub(super) const DISTRICT_SHORT: &str = "青川";
/// The district's administrative division code (also in the enterprises' credit codes).
pub(super) const DIVISION: &str = "370115";

/// The first and second characters of enterprise brand names (宏达, 华泰, …).
pub(super) const BRAND_FIRST: &str =
    "宏华永金瑞恒东佳百新精鑫绿安福兴顺鸿富泰康德嘉天众远汇利聚祥长盛万和正大信晨红蓝通";
pub(super) const BRAND_SECOND: &str =
    "达泰盛河丰力方美味源工信厦满发运和宁润禾珠成诚航通民康福云青昌隆祥兴业顺鑫旺海辉";

/// What enterprises of an industry (by code) call themselves, and the suffix of their names.
pub(super) fn trades(industry: &str) -> (&'static [&'static str], &'static str) {
    match industry {
        "hazchem" => (
            &[
                "化工",
                "精细化工",
                "化学试剂",
                "气体",
                "涂料",
                "危险品仓储",
                "加油站",
                "石化储运",
            ],
            "有限公司",
        ),
        "catering_gas" => (
            &[
                "家常菜馆",
                "火锅店",
                "饭庄",
                "烧烤店",
                "酒家",
                "面馆",
                "快餐店",
                "饺子馆",
                "食府",
                "小吃店",
            ],
            "",
        ),
        "industry_trade" => (
            &[
                "机械制造",
                "金属制品",
                "纺织",
                "家具",
                "食品",
                "铝业",
                "包装印刷",
                "模具",
                "五金加工",
                "木业",
            ],
            "有限公司",
        ),
        "construction" => (
            &[
                "建筑工程",
                "建筑劳务",
                "装饰工程",
                "钢结构",
                "市政工程",
                "路桥工程",
            ],
            "有限公司",
        ),
        "transport" => (
            &["物流", "运输", "客运", "汽车维修", "仓储物流"],
            "有限公司",
        ),
        "commerce" => (
            &[
                "超市",
                "商贸",
                "百货",
                "便利店",
                "购物广场",
                "建材商行",
                "家电商场",
            ],
            "",
        ),
        "education" => (&["幼儿园", "培训学校", "职业培训学校", "艺术培训中心"], ""),
        "healthcare" => (&["诊所", "门诊部", "口腔诊所", "大药房", "康复医院"], ""),
        "culture_tourism" => (
            &["宾馆", "大酒店", "KTV", "网吧", "影城", "民宿", "健身中心"],
            "",
        ),
        _ => (&["商贸", "服务中心"], "有限公司"),
    }
}

/// How often an industry (by code) occurs among enterprises, and how often its enterprises are
/// above designated size (规上).
pub(super) fn industry_mix(industry: &str) -> (f64, f64) {
    match industry {
        "catering_gas" => (30.0, 0.04),
        "commerce" => (24.0, 0.10),
        "industry_trade" => (15.0, 0.30),
        "construction" => (8.0, 0.35),
        "transport" => (6.0, 0.20),
        "culture_tourism" => (6.0, 0.10),
        "education" => (4.0, 0.15),
        "healthcare" => (4.0, 0.15),
        "hazchem" => (3.0, 0.50),
        _ => (2.0, 0.15),
    }
}

pub(super) const ROADS: &[&str] = &[
    "建设路",
    "工业南路",
    "工业北路",
    "解放路",
    "人民路",
    "和平路",
    "文化路",
    "经十路",
    "花园路",
    "山大路",
    "历山路",
    "北园大街",
    "二环东路",
    "闵子骞路",
    "工业北路辅路",
    "科航路",
];

pub(super) const SURNAMES: &str =
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕";
pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "志明", "建国", "建华", "海燕", "红梅",
    "玉兰", "春梅", "晓东", "文博", "子涵", "浩然", "欣怡", "宇航", "思远", "佳琪", "俊杰", "雪梅",
];

/// Finding categories and how often each occurs.
pub(super) const CATEGORIES: &[(&str, f64)] = &[
    ("safety_management", 20.0),
    ("process", 7.0),
    ("electrical", 18.0),
    ("instrument", 6.0),
    ("fire", 24.0),
    ("layout", 8.0),
    ("equipment", 12.0),
    ("other", 5.0),
];

/// Hazards as reported, one a line: category|title|description|cause|measures.
pub(super) const HAZARDS: &[&str] = &[
    "safety_management|安全生产责任制未落实到岗位|岗位安全职责未明确，部分员工不清楚本岗位安全职责。|安全管理制度执行不到位|修订岗位安全责任清单并组织全员签字确认",
    "safety_management|员工未按规定开展安全培训|新入职员工未经三级安全教育即上岗作业。|培训计划未落实|补充开展三级安全教育并建立培训档案",
    "safety_management|隐患排查记录不完整|近一个月的日常隐患排查记录缺失。|专人负责制度未落实|明确排查责任人，按周检查排查记录",
    "safety_management|应急预案未组织演练|本年度未开展应急预案演练。|演练计划未落实|制定演练计划并于本月内组织一次演练",
    "process|操作规程未张贴上墙|关键岗位操作规程未在作业现场公示。|现场管理不到位|在岗位醒目位置张贴操作规程",
    "process|动火作业未办理作业票|现场发现焊接作业未办理动火作业许可。|作业许可制度执行不严|立即停止作业，补办作业票并落实监护",
    "process|工艺参数记录不全|反应釜温度、压力运行记录存在空缺。|交接班管理不到位|完善运行记录表，班组长每班签字确认",
    "process|有限空间作业未执行先通风再检测|进入污水池作业前未进行气体检测。|作业人员安全意识不足|配备气体检测仪并严格执行作业审批",
    "electrical|配电箱未上锁且无警示标识|车间配电箱门未关闭上锁，未设置当心触电标识。|日常巡查不到位|配电箱加锁并张贴警示标识",
    "electrical|电线私拉乱接|仓库内存在临时电源线私拉乱接现象。|临时用电管理缺失|拆除私拉电线，按规范敷设线路",
    "electrical|漏电保护器失效|试验按钮测试漏电保护器不动作。|设备老化未及时更换|更换漏电保护器并定期测试",
    "electrical|插座超负荷使用|一个插座同时接入多台大功率电器。|用电管理不规范|增设独立回路，禁止多台大功率电器共用插座",
    "instrument|可燃气体报警器未正常工作|后厨可燃气体报警器处于断电状态。|报警器故障后未及时维修|恢复报警器供电并联动切断阀测试",
    "instrument|压力表超过检定有效期|储罐压力表检定标签已过期。|计量器具台账未更新|送检压力表并更新计量器具台账",
    "instrument|报警器安装位置不符合要求|液化气报警器安装高度距地面超过0.3米。|安装时未按规范施工|按规范调整报警器安装位置",
    "instrument|温度监测仪表显示异常|冷库温度监测仪表读数与实际温度偏差较大。|仪表未定期校准|校准仪表并建立校准记录",
    "fire|灭火器压力不足|部分灭火器压力指针处于红区。|消防器材未按月检查|更换或充装灭火器，建立月度检查记录",
    "fire|疏散通道被杂物堵塞|安全疏散通道堆放纸箱等杂物。|现场管理不到位|立即清理通道并划定禁止堆放区域",
    "fire|安全出口指示标志损坏|二楼安全出口指示灯不亮。|消防设施维护不及时|更换指示灯并检查应急照明",
    "fire|消火栓被遮挡|室内消火栓箱被货架遮挡无法正常开启。|物品摆放不规范|移开货架，保持消火栓前方无遮挡",
    "layout|危险品存放区与办公区未有效隔离|危险化学品暂存点紧邻办公区域。|平面布置不合理|调整存放位置并设置防火隔离",
    "layout|气瓶间通风不良|液化气瓶存放间无自然通风口。|场所改造未考虑通风|增设通风口或机械排风设施",
    "layout|作业区域未划定安全通道|车间地面未标划人行安全通道。|定置管理不到位|施划安全通道标线并保持畅通",
    "layout|仓库堆垛间距不足|货物堆垛与墙、柱间距不足0.5米。|仓储管理不规范|重新码放货物，保证堆垛间距",
    "equipment|设备防护罩缺失|皮带传动部位未安装防护罩。|设备检修后未恢复防护|安装防护罩并纳入点检内容",
    "equipment|燃气软管老化开裂|灶具连接软管出现龟裂。|软管超期使用|更换金属波纹管并定期检查",
    "equipment|特种设备未按期检验|叉车定期检验已过期。|特种设备台账管理不到位|立即停用并申请检验",
    "equipment|起重设备限位装置失灵|行车上升限位开关不起作用。|日常点检不到位|维修限位装置并试车验证",
    "other|劳动防护用品配备不足|作业人员未佩戴防护手套和护目镜。|防护用品发放不及时|补充配发劳动防护用品并监督佩戴",
    "other|安全警示标志缺失|危险作业区域未设置安全警示标志。|标志标识管理缺失|按规范设置安全警示标志",
    "other|外包单位安全管理协议未签订|外包施工单位未签订安全管理协议。|相关方管理不到位|补签安全管理协议并开展入场教育",
    "other|职业危害告知不到位|粉尘岗位未设置职业危害告知卡。|职业健康管理缺失|设置告知卡并组织职业健康培训",
];

/// Where in an enterprise a hazard is found.
pub(super) const LOCATIONS: &[&str] = &[
    "后厨操作间",
    "一号车间",
    "二号车间",
    "配电室",
    "成品仓库",
    "原料仓库",
    "楼梯间",
    "办公区",
    "储罐区",
    "停车场",
    "锅炉房",
    "气瓶间",
    "营业大厅",
    "屋面",
];

/// What an inspector writes next to a failed checklist item.
pub(super) const FAIL_NOTES: &[&str] = &[
    "现场检查发现不符合要求",
    "现场抽查不符合，已当场告知企业负责人",
    "部分不符合，需限期整改",
    "查阅台账及现场核实，不符合要求",
];

/// Events of each kind: (kind, titles, description).
pub(super) const EVENTS: [(&str, [&str; 4], &str); 3] = [
    (
        "training",
        [
            "燃气安全使用培训",
            "有限空间作业安全培训",
            "消防安全知识讲座",
            "安全生产法解读培训",
        ],
        "邀请专家围绕常见隐患和法规要求进行讲解，并现场答疑。",
    ),
    (
        "warning_education",
        [
            "典型燃气爆炸事故警示教育",
            "有限空间中毒窒息事故警示教育",
            "电气火灾事故警示教育",
            "违章动火事故警示教育",
        ],
        "通过典型事故案例剖析，深刻汲取事故教训，举一反三排查整治隐患。",
    ),
    (
        "experience_exchange",
        [
            "隐患排查治理经验交流会",
            "双重预防机制建设经验交流会",
            "安全标准化创建经验交流会",
            "联盟互查工作经验交流会",
        ],
        "成员企业交流隐患排查治理、互查互帮的做法和体会。",
    ),
];

/// The case a warning education is built around, and the categories it concerns.
pub(super) const CASE_STUDY: &str =
    "某餐饮企业燃气软管老化泄漏，未安装可燃气体报警装置，遇明火引发爆炸，造成人员伤亡。";
pub(super) const CASE_CATEGORIES: &str = r#"["equipment","instrument","fire"]"#;
