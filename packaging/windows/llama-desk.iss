; Inno Setup script for Llama Desk: a per-user install that needs no administrator rights.
;
; Build it with packaging/windows/build-windows.py, which freezes the app with PyInstaller
; and runs:  ISCC.exe /DAppVersion=<version from pyproject.toml> /DBundleDir=<bundle> llama-desk.iss
; Output: dist\llama-desk-<version>-setup.exe
;
; Installs into %LOCALAPPDATA%\Programs\Llama Desk, adds a Start-menu entry (and a desktop
; shortcut if the user ticks the box), registers an uninstaller in "Apps & features".
; Uninstalling removes only the installed files: the user's chats and downloaded models in
; %LOCALAPPDATA%\llama-desk are left alone.

#ifndef AppVersion
  #error AppVersion is not defined: run build-windows.py, or pass /DAppVersion=x.y.z to ISCC
#endif
#ifndef BundleDir
  #define BundleDir "..\..\build\pyinstaller\dist\llama-desk"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6F1C2A4E-3B7D-4E8A-9C51-2D0F7A6B8E13}
AppName=Llama Desk
AppVersion={#AppVersion}
AppVerName=Llama Desk {#AppVersion}
AppPublisher=Llama Desk developers
VersionInfoVersion={#AppVersion}
DefaultDirName={localappdata}\Programs\Llama Desk
DefaultGroupName=Llama Desk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=llama-desk-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\llama-desk.ico
UninstallDisplayIcon={app}\llama-desk.exe
UninstallDisplayName=Llama Desk
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Llama Desk"; Filename: "{app}\llama-desk.exe"; Comment: "Private assistant running Llama 3.2 on this computer"
Name: "{autodesktop}\Llama Desk"; Filename: "{app}\llama-desk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\llama-desk.exe"; Description: "{cm:LaunchProgram,Llama Desk}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for user data on purpose: models and chat history stay.
