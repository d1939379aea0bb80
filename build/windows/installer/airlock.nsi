; NSIS installer of the Airlock desktop app for Windows (x64), built by
; build/desktop-windows.sh with Debian's makensis:
;   makensis -DVERSION=1.2.3 -DEXE=path\airlock.exe -DOUTFILE=path\airlock-installer.exe airlock.nsi
;
; Installs airlock.exe for all users under Program Files and a Start menu shortcut that
; opens the window. Options (also for silent installs with /S):
;   /SERVER=https://airlock.example.org   the shortcut attaches to that server
;                                         (airlock desktop --server URL)
; Without /SERVER the window runs its own backend with its data in
; %LOCALAPPDATA%\Airlock (see the README).
Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef EXE
  !error "define EXE, the path of airlock.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "airlock-installer.exe"
!endif
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Airlock"
; The registry key of the Evergreen WebView2 Runtime (per machine), which the window needs.
!define WEBVIEW2_KEY "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "Airlock"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Airlock"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Airlock"
VIAddVersionKey "FileDescription" "Airlock installer"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "Airlock maintainers"
VIAddVersionKey "LegalCopyright" "Airlock maintainers"

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Var Server

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "Airlock needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $Server
  ${If} ${Errors}
    StrCpy $Server ""
  ${EndIf}
FunctionEnd

Section "Airlock" SecMain
  SectionIn RO
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File "/oname=airlock.exe" "${EXE}"
  File "/oname=airlock.ico" "..\icon.ico"
  ; The shortcut's arguments: the window, attached to a server when /SERVER was given.
  StrCpy $0 "desktop"
  ${If} $Server != ""
    StrCpy $0 'desktop --server "$Server"'
  ${EndIf}
  CreateShortcut "$SMPROGRAMS\Airlock.lnk" "$INSTDIR\airlock.exe" "$0" "$INSTDIR\airlock.ico" 0
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "Airlock"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Airlock maintainers"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\airlock.ico"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $1 $2 $3
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" "$1"
  ; The window needs the WebView2 Runtime; an offline machine cannot fetch it itself.
  ReadRegStr $1 HKLM "${WEBVIEW2_KEY}" "pv"
  ${If} $1 == ""
  ${OrIf} $1 == "0.0.0.0"
    MessageBox MB_OK|MB_ICONEXCLAMATION "Airlock is installed, but its window needs the Microsoft Edge WebView2 Runtime, which is not installed on this computer. Ask your administrator to install it (the Evergreen Standalone Installer works offline)." /SD IDOK
  ${EndIf}
SectionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\Airlock.lnk"
  Delete "$INSTDIR\airlock.exe"
  Delete "$INSTDIR\airlock.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  ; Each user's data (%LOCALAPPDATA%\Airlock) is left in place: it holds the audit log.
SectionEnd
